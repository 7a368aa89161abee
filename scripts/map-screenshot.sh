#!/usr/bin/env bash
# Renders the map page of the demo district in GeoData/ to a PNG with Debian's headless Chromium: loads a fresh store as
# scripts/demo.sh does, serves it on a free port, takes the screenshot and stops the server.
#   OUT=docs/map.png  VIEW='#at=116.4676,39.9334'  SIZE=1200,780  ./scripts/map-screenshot.sh
# VIEW is the page's address fragment (lang=en, theme=…, buildings=…, compare=A,B, run=N, grid=CODE, at=LON,LAT).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-docs/map.png}
VIEW=${VIEW:-}
SIZE=${SIZE:-1200,780}
swift build --product communitygrid >/dev/null
BIN=${BIN:-$(swift build --show-bin-path)/communitygrid}
WORK=$(mktemp -d)
DB="$WORK/demo.sqlite"
"$BIN" --db "$DB" init >/dev/null
"$BIN" --db "$DB" import osm GeoData/demo-district.osm >/dev/null
"$BIN" --db "$DB" import geojson GeoData/communities.geojson --layer communities >/dev/null
"$BIN" --db "$DB" import geojson GeoData/grids.geojson --layer grids >/dev/null
"$BIN" --db "$DB" import households GeoData/households.csv >/dev/null
"$BIN" --db "$DB" coverage >/dev/null
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
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --virtual-time-budget=15000 \
  --window-size="$SIZE" --screenshot="$OUT" "$URL$VIEW" 2>/dev/null
echo "$OUT ($(stat -c %s "$OUT") bytes) from $URL$VIEW"
