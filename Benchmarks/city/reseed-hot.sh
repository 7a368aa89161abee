#!/usr/bin/env bash
# The minute after a change, on the tiles people were looking at (`serve --tiles FILE --reseed`), one server per run:
#   1. wrk (zooms 14–16) over a part of the city, HOT_FRACTION of its width and height around its centre, from a file
#      that is the store's: the tiles in use (the hot set);
#   2. `coverage` from the command line while the server runs;
#   3. right after it, wrk again on the SAME tile sequence (same seed, same box) for two windows of DURATION seconds;
#   4. the server's CPU seconds from the coverage run's end to the end of the windows and to a fresh file, and the
#      seconds until the hot tiles were answered from memory (`/health` last_seeding.hot_seconds_after_change).
# With BASE=<another binary> each run of BIN is preceded by one of BASE (interleaved), on the same store and file.
# Usage: Benchmarks/city/reseed-hot.sh STORE OUTDIR   (STORE is changed: give a copy)
# Env: BIN (.build/release/communitygrid), BASE (none), RUNS (2), PORT (18550), DURATION (15), HOT_DURATION (10),
#      HOT_FRACTION (0.25), CONNS (64), SEED_THREADS (2), TILES_GZIP (1).
set -euo pipefail
STORE=${1:?store}; OUT=${2:?output folder}
BIN=${BIN:-.build/release/communitygrid}; PORT=${PORT:-18550}; DURATION=${DURATION:-15}; HOT_DURATION=${HOT_DURATION:-10}
HOT_FRACTION=${HOT_FRACTION:-0.25}; CONNS=${CONNS:-64}; SEED_THREADS=${SEED_THREADS:-2}; RUNS=${RUNS:-2}
export TILES_GZIP=${TILES_GZIP:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
FILE=$OUT/city.mbtiles
URL=http://127.0.0.1:$PORT
now() { date +%s.%N; }
since() { python3 -c "print(round($(now) - $1, 1))"; }
up() { for _ in $(seq 600); do curl -sf "$URL/health" >/dev/null && return; sleep 0.2; done; echo "server did not answer" >&2; exit 1; }
health() { curl -sf "$URL/health" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin).get('seeded_tiles',{})))"; }
seeded() { health | python3 -c "import json,sys; t=json.load(sys.stdin); sys.exit(0 if t.get('current') and t.get('seedings',0)>=$1 else 1)"; }
wait_seeded() { until seeded "$1"; do sleep 0.5; done; }
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
hot_bbox() { curl -sf "$URL/tiles/WebMercatorQuad" | python3 -c "
import json,sys; b=json.load(sys.stdin)['boundingBox']; (w,s),(e,n)=b['lowerLeft'],b['upperRight']; f=$HOT_FRACTION
cx,cy,hw,hh=(w+e)/2,(s+n)/2,(e-w)*f/2,(n-s)*f/2; print(','.join(str(v) for v in (cx-hw,cy-hh,cx+hw,cy+hh)))"; }
run_wrk() {  # seconds
  TILES_BBOX=$BBOX TILES_ZOOMS=14-16 TILES_SEED=14 wrk -t2 -c"$CONNS" -d"$1s" --timeout 10s -s "$HERE/tiles.lua" "$URL" | grep '^{'
}
one() {  # label binary
  "$2" --db "$STORE" serve --port "$PORT" --tiles "$FILE" --reseed --reseed-threads "$SEED_THREADS" 2>> "$OUT/serve-$1.log" & local pid=$!
  up; wait_seeded 0; sleep 2
  BBOX=$(hot_bbox)
  local hot; hot=$(run_wrk "$HOT_DURATION")
  "$2" --db "$STORE" coverage > /dev/null
  local c0 t0; c0=$(cpu "$pid"); t0=$(now)
  local first second; first=$(run_wrk "$DURATION"); second=$(run_wrk "$DURATION")
  local c1 windowed; c1=$(cpu "$pid"); windowed=$(since "$t0")
  wait_seeded 1
  local c2 fresh; c2=$(cpu "$pid"); fresh=$(since "$t0")
  echo "{\"binary\": \"$1\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"hot_set\": $hot, \"first_window\": $first, \"second_window\": $second," \
       "\"cpu_windows_s\": $(python3 -c "print(round($c1 - $c0, 1))"), \"window_s\": $windowed, \"cpu_to_fresh_file_s\": $(python3 -c "print(round($c2 - $c0, 1))")," \
       "\"fresh_file_after_s\": $fresh, \"seeded_tiles\": $(health), \"rss_mb\": $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)}" | tee -a "$OUT/reseed-hot.jsonl"
  kill -TERM "$pid"; wait "$pid" || true
}
if [ ! -f "$FILE" ]; then  # the first file, seeded once (not measured)
  "$BIN" --db "$STORE" serve --port "$PORT" --tiles "$FILE" --reseed --reseed-threads "$SEED_THREADS" 2>> "$OUT/serve-first.log" & pid=$!
  up; wait_seeded 1; kill -TERM "$pid"; wait "$pid" || true
fi
for _ in $(seq "$RUNS"); do
  if [ -n "${BASE:-}" ]; then one base "$BASE"; fi
  one new "$BIN"
done
