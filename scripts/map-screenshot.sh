#!/usr/bin/env bash
# Renders the map page of the demo district in GeoData/ to a PNG with Debian's headless Chromium: loads a fresh store as
# scripts/demo.sh does, serves it on a free port, takes the screenshot and stops the server.
#   OUT=docs/map.png  VIEW='#at=116.4676,39.9334'  SIZE=1200,780  ./scripts/map-screenshot.sh
# VIEW is the page's address fragment (lang=en, theme=…, buildings=…, compare=A,B, run=N, grid=CODE, at=LON,LAT,
# case=CODE); LIB=leaflet draws with Leaflet instead of MapLibre GL JS (the default when installed). BIN names a built
# communitygrid to use instead of building one. The demo's cases (as scripts/demo.sh reports them) are on the map.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-docs/map.png}
VIEW=${VIEW:-}
SIZE=${SIZE:-1200,780}
LIB=${LIB:-}
if [ -z "${BIN:-}" ]; then
  swift build --product communitygrid >/dev/null
  BIN=$(swift build --show-bin-path)/communitygrid
fi
WORK=$(mktemp -d)
DB="$WORK/demo.sqlite"
"$BIN" --db "$DB" init >/dev/null
"$BIN" --db "$DB" import osm GeoData/demo-district.osm >/dev/null
"$BIN" --db "$DB" import geojson GeoData/communities.geojson --layer communities >/dev/null
"$BIN" --db "$DB" import geojson GeoData/grids.geojson --layer grids >/dev/null
"$BIN" --db "$DB" import households GeoData/households.csv >/dev/null
"$BIN" --db "$DB" coverage >/dev/null
"$BIN" --db "$DB" workers add gw-1 --name 李四 >/dev/null
"$BIN" --db "$DB" workers assign gw-1 110105001001001 --from 2026-01-01 >/dev/null
"$BIN" --db "$DB" cases report --category refuse-pile --lon 116.46176 --lat 39.94799 --description 垃圾堆积 --at 2026-03-02T09:00:00 >/dev/null
"$BIN" --db "$DB" cases report --category refuse-pile --lon 116.46180 --lat 39.94801 --description 楼门口垃圾 --at 2026-03-02T09:30:00 >/dev/null
"$BIN" --db "$DB" cases report --category clinic-closed --lon 116.47234 --lat 39.93799 --description 社区卫生服务站停诊 --at 2026-03-02T10:00:00 >/dev/null
"$BIN" --db "$DB" cases move 20260302-1 20260302-3 dispatch --at 2026-03-02T10:30:00 >/dev/null
"$BIN" --db "$DB" serve --port 0 2>"$WORK/serve.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
URL=""
for _ in $(seq 100); do
  URL=$(grep -o 'http://[0-9.]*:[0-9]*/' "$WORK/serve.log" | head -1 || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { echo "the server did not start: $(cat "$WORK/serve.log")" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"
# MapLibre draws with WebGL: without a GPU, headless Chromium gives it through SwiftShader.
PAGE="$URL${LIB:+?lib=$LIB}$VIEW"
chromium --headless --no-sandbox --disable-gpu --enable-unsafe-swiftshader --disable-dev-shm-usage --hide-scrollbars --virtual-time-budget=15000 \
  --user-data-dir="$WORK/profile" --window-size="$SIZE" --screenshot="$OUT" "$PAGE" 2>/dev/null
echo "$OUT ($(stat -c %s "$OUT") bytes) from $PAGE"
