#!/usr/bin/env bash
# Builds communitygrid, loads the demo district in GeoData/ into out/demo.sqlite, runs the coverage check, then
# serves the store over HTTP with the map page (Ctrl-C stops it; SERVE=0 skips it; PORT picks the port).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product communitygrid
BIN=$(swift build -c release --show-bin-path)/communitygrid
DB=${DB:-out/demo.sqlite}
mkdir -p "$(dirname "$DB")"
rm -f "$DB" "$DB-wal" "$DB-shm"
"$BIN" --db "$DB" init
"$BIN" --db "$DB" import osm GeoData/demo-district.osm
"$BIN" --db "$DB" import geojson GeoData/communities.geojson --layer communities
"$BIN" --db "$DB" import geojson GeoData/grids.geojson --layer grids
"$BIN" --db "$DB" import households GeoData/households.csv
"$BIN" --db "$DB" info
# The main job: 5/10/15-minute walking coverage per building, grid and community (stored as a run).
"$BIN" --db "$DB" coverage
# A few cases of the grid's daily loop (README, "Cases"): a grid worker on a grid, two reports on one building (the
# second is offered the first as a duplicate), a closed clinic with the households it takes out of each level.
"$BIN" --db "$DB" workers add gw-1 --name 李四
"$BIN" --db "$DB" workers assign gw-1 110105001001001 --from 2026-01-01
"$BIN" --db "$DB" cases report --category refuse-pile --lon 116.46176 --lat 39.94799 --description 垃圾堆积 --at 2026-03-02T09:00:00
"$BIN" --db "$DB" cases report --category refuse-pile --lon 116.46180 --lat 39.94801 --description 楼门口垃圾 --at 2026-03-02T09:30:00
"$BIN" --db "$DB" cases report --category clinic-closed --lon 116.47234 --lat 39.93799 --description 社区卫生服务站停诊 --at 2026-03-02T10:00:00
"$BIN" --db "$DB" cases move 20260302-1 20260302-3 dispatch --at 2026-03-02T10:30:00
"$BIN" --db "$DB" cases list --now 2026-03-02T16:00:00
echo "demo store: $DB (open it in QGIS, or: $BIN --db $DB export buildings > buildings.geojson)"
if [ "${SERVE:-1}" != 0 ]; then
  PORT=${PORT:-8080}
  echo "map page: http://127.0.0.1:$PORT/  (OGC API – Features: http://127.0.0.1:$PORT/collections, OpenAPI: /api)"
  exec "$BIN" --db "$DB" serve --port "$PORT"
fi
