#!/usr/bin/env bash
# The grid's daily loop under load (README, "Cases"): a generated year of a street office's cases on the demo
# district, then reports accepted per second over HTTP (Open311 POST with routing and duplicate search, wrk) and a
# month's evaluation for every grid (`/cases/stats` and the CLI). Build first: swift build -c release.
# Not a timed test. OUT keeps the generated store between runs; PORT, CASES, DURATION, CONNECTIONS may be set, and
# YEAR_FROM names a year generated before (the same CASES) to copy instead of generating one.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$(swift build -c release --show-bin-path)/communitygrid}
OUT=${OUT:-/tmp/communitygrid-cases-bench}
PORT=${PORT:-8089}
CASES=${CASES:-200000}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-8}
mkdir -p "$OUT"
YEAR="$OUT/year-$CASES.sqlite"
if [ -n "${YEAR_FROM:-}" ] && [ ! -f "$YEAR.done" ]; then
  cp "$YEAR_FROM" "$YEAR"
  touch "$YEAR.done"
fi
if [ ! -f "$YEAR.done" ]; then
  rm -f "$YEAR" "$YEAR-wal" "$YEAR-shm"
  "$BIN" --db "$YEAR" init >/dev/null
  "$BIN" --db "$YEAR" import osm GeoData/demo-district.osm >/dev/null
  "$BIN" --db "$YEAR" import geojson GeoData/communities.geojson --layer communities >/dev/null
  "$BIN" --db "$YEAR" import geojson GeoData/grids.geojson --layer grids >/dev/null
  "$BIN" --db "$YEAR" import households GeoData/households.csv >/dev/null
  echo "== generate: $CASES cases in 2026"
  /usr/bin/time -f "%e s, %M kB" "$BIN" --db "$YEAR" cases generate --year 2026 --cases "$CASES" --seed 14
  touch "$YEAR.done"
fi
ls -la "$YEAR"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== a month's evaluation for every grid (June 2026), CLI, 11 runs"
for _ in $(seq 11); do
  /usr/bin/time -f "%e" "$BIN" --db "$YEAR" cases stats --by grid --from 2026-06-01 --to 2026-07-01 --now 2026-07-01 --json 2>&1 >/dev/null | tail -1
done | median | awk '{ printf "CLI median %.0f ms (process start, store open and evaluation)\n", $1 * 1000 }'

WORK="$OUT/work.sqlite"
rm -f "$WORK" "$WORK-wal" "$WORK-shm"
cp "$YEAR" "$WORK"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$OUT/token"
"$BIN" --db "$WORK" serve --port "$PORT" --token-file "$OUT/token" > "$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/open311/v2/services.json" >/dev/null && break; sleep 0.2; done

echo "== a month's evaluation for every grid (June 2026), GET /cases/stats, 21 runs"
URL="http://127.0.0.1:$PORT/cases/stats?by=grid&from=2026-06-01&to=2026-07-01&now=2026-07-01"
curl -sf "$URL" | head -c 300 || true; echo
for _ in $(seq 21); do curl -sf -o /dev/null -w "%{time_total}\n" "$URL"; done | median | awk '{ printf "HTTP median %.1f ms\n", $1 * 1000 }'

echo "== reports accepted per second: Open311 POST, routing and duplicate search, $CONNECTIONS connections, ${DURATION} s"
count() { "$BIN" --db "$WORK" cases list --limit 1 --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["matched"])'; }
BEFORE=$(count)
# The server's CPU time (utime + stime, clock ticks) around the run: wrk shares the cores, so reports/s alone undersells it.
cpu() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }
CPU_BEFORE=$(cpu)
API_KEY=$(cat "$OUT/token") wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s Benchmarks/cases/post.lua "http://127.0.0.1:$PORT/open311/v2/requests.json"
CPU_AFTER=$(cpu)
AFTER=$(count)
echo "cases stored by the run: $((AFTER - BEFORE))"
awk -v ticks="$((CPU_AFTER - CPU_BEFORE))" -v hz="$(getconf CLK_TCK)" -v n="$((AFTER - BEFORE))" \
  'BEGIN { if (n > 0) printf "server CPU %.2f s, %.3f ms per stored report (utime + stime)\n", ticks / hz, ticks / hz * 1000 / n }'
kill $SERVER
wait $SERVER 2>/dev/null || true
