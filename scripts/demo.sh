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
echo "demo store: $DB (open it in QGIS, or: $BIN --db $DB export buildings > buildings.geojson)"
if [ "${SERVE:-1}" != 0 ]; then
  PORT=${PORT:-8080}
  echo "map page: http://127.0.0.1:$PORT/  (OGC API – Features: http://127.0.0.1:$PORT/collections, OpenAPI: /api)"
  exec "$BIN" --db "$DB" serve --port "$PORT"
fi
