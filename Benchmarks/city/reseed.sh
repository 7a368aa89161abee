#!/usr/bin/env bash
# Background re-seeding (`serve --tiles FILE --reseed`) on a city store, one server:
#   1. start with no file; wrk while the file is seeded in the background (drawn tiles, the seeding at the lowest priority);
#   2. the time from start until tiles are answered from the file (`/health` seeded_tiles.current);
#   3. wrk once seeded (zooms 14–16, then 10–16);
#   4. `coverage` from the command line while the server runs: the time from its end until tiles are answered from
#      a fresh file again.
# With BASE=<another binary> it first runs that binary's plain `serve` (drawing every tile) for the same wrk pass, as
# the baseline of the same period.
# Usage: Benchmarks/city/reseed.sh STORE OUTDIR   (STORE is changed: give a copy)
# Env: BIN (.build/release/communitygrid), BASE (none), PORT (18450), DURATION (wrk seconds, 15), CONNS (64),
#      SEED_THREADS (--reseed-threads, 2), SETTLE (seconds between start and the first wrk pass, 10),
#      TILES_GZIP (1: Accept-Encoding gzip, as browsers send).
set -euo pipefail
STORE=${1:?store}; OUT=${2:?output folder}
BIN=${BIN:-.build/release/communitygrid}; PORT=${PORT:-18450}; DURATION=${DURATION:-15}; CONNS=${CONNS:-64}
SEED_THREADS=${SEED_THREADS:-2}; SETTLE=${SETTLE:-10}; export TILES_GZIP=${TILES_GZIP:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
FILE=$OUT/city.mbtiles
rm -f "$FILE"
URL=http://127.0.0.1:$PORT
now() { date +%s.%N; }
since() { python3 -c "print(round($(now) - $1, 1))"; }
up() { for _ in $(seq 600); do curl -sf "$URL/health" >/dev/null && return; sleep 0.2; done; echo "server did not answer" >&2; exit 1; }
seeded() {  # true when tiles are answered from the file and at least $1 seedings finished
  curl -sf "$URL/health" | python3 -c "import json,sys; t=json.load(sys.stdin).get('seeded_tiles',{}); sys.exit(0 if t.get('current') and t.get('seedings',0)>=$1 else 1)"
}
wait_seeded() { until seeded "$1"; do sleep 0.5; done; }
load() { cut -d' ' -f1 /proc/loadavg; }
run_wrk() {  # zooms label
  local line
  line=$(TILES_BBOX=$BBOX TILES_ZOOMS=$1 TILES_SEED=${1%%-*} wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s \
    -s "$HERE/tiles.lua" "$URL" | grep '^{')
  echo "{\"what\": \"$2\", \"zooms\": \"$1\", \"load\": $(load), \"wrk\": $line}" | tee -a "$OUT/reseed.jsonl"
}
bbox() { curl -sf "$URL/tiles/WebMercatorQuad" | python3 -c "import json,sys; b=json.load(sys.stdin)['boundingBox']; print(','.join(str(v) for v in b['lowerLeft']+b['upperRight']))"; }
stop() { local t; t=$(now); kill -TERM "$1"; wait "$1" || true; echo "{\"what\": \"stopped\", \"seconds\": $(since "$t")}" | tee -a "$OUT/reseed.jsonl"; }

if [ -n "${BASE:-}" ]; then
  "$BASE" --db "$STORE" serve --port "$PORT" 2> "$OUT/base.log" & pid=$!
  up; BBOX=$(bbox); sleep "$SETTLE"
  run_wrk 14-16 "baseline: drawn (BASE)"
  stop "$pid"
fi

start=$(now)
"$BIN" --db "$STORE" serve --port "$PORT" --tiles "$FILE" --reseed --reseed-threads "$SEED_THREADS" 2> "$OUT/serve.log" & pid=$!
up; BBOX=$(bbox); sleep "$SETTLE"
run_wrk 14-16 "while seeding ($SEED_THREADS thread(s))"
wait_seeded 1
echo "{\"what\": \"seeded from start\", \"seconds\": $(since "$start"), \"threads\": $SEED_THREADS}" | tee -a "$OUT/reseed.jsonl"
run_wrk 14-16 "seeded"
run_wrk 10-16 "seeded"
t=$(now)
"$BIN" --db "$STORE" coverage > /dev/null
echo "{\"what\": \"coverage run\", \"seconds\": $(since "$t")}" | tee -a "$OUT/reseed.jsonl"
t=$(now)
wait_seeded 2
echo "{\"what\": \"from the coverage run's end to a fresh file\", \"seconds\": $(since "$t")}" | tee -a "$OUT/reseed.jsonl"
stop "$pid"
grep -E "seed|warning" "$OUT/serve.log" || true
