#!/usr/bin/env bash
# CommunityGrid's HTTP server beside the OGC API – Features peers of ../shared/bench/http, on the same
# OSM data (Andorra + Monaco buildings), the same request lists and the same wrk driver.
#   Benchmarks/http/run.sh                 communitygrid, then pygeoapi-spatialite (the main peer), same run
#   PEERS="" Benchmarks/http/run.sh        communitygrid only
#   PEERS="" APPEND=1 LABEL=old BIN=/abs/old/communitygrid Benchmarks/http/run.sh
#                                          a given build under its own label, added to the results so far
# Env: HARNESS (default ../shared/bench/http), WORK (default /tmp/httppeer, made by the harness's setup.sh),
#      DURATION (15), CONNS (16,64), SCENARIOS (viewport,item,bigpage), PORT (5199),
#      BIN (a built communitygrid; default: this checkout's release build), LABEL (communitygrid),
#      APPEND (1: keep the records of earlier runs).
# Results: $WORK/results/results.jsonl and results.md (the harness's render.py), one table for all servers.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench/http}
export WORK=${WORK:-/tmp/httppeer}
DURATION=${DURATION:-15}
CONNS=${CONNS:-16,64}
SCENARIOS=${SCENARIOS:-viewport,item,bigpage}
PORT=${PORT:-5199}
PEERS=${PEERS-pygeoapi-spatialite}
LABEL=${LABEL:-communitygrid}
RES=$WORK/results
GEODATA=$HARNESS/../../geodata
PY=$WORK/venv/bin/python
if [ ! -x "$PY" ]; then
  # The driver, the checks and the tables need only the standard library; the peers need the harness's venvs.
  [ -z "$PEERS" ] || { echo "run $HARNESS/setup.sh first (WORK=$WORK)" >&2; exit 1; }
  PY=python3
fi
mkdir -p "$RES" "$WORK/req/communitygrid" "$WORK/$LABEL"
[ "${APPEND:-0}" = 1 ] || rm -f "$RES/results.jsonl" "$RES/validation.jsonl"

"$HARNESS/make_data.sh" >/dev/null
/usr/bin/python3 "$HARNESS/gen_requests.py" --db "$WORK/data/osm.sqlite" --out "$WORK/req"

cd "$ROOT"
if [ -z "${BIN:-}" ]; then
  swift build -c release --product communitygrid >/dev/null
  BIN=$(swift build -c release --show-bin-path)/communitygrid
fi
DB=$WORK/$LABEL/osm.sqlite
rm -f "$DB" "$DB-wal" "$DB-shm"
"$BIN" --db "$DB" init >/dev/null
"$BIN" --db "$DB" import osm "$GEODATA/bench_andorra_2021-04-13.osm.pbf" >/dev/null
"$BIN" --db "$DB" import osm "$GEODATA/dense_monaco_2021-04-19.osm.pbf" --append >/dev/null
"$BIN" --db "$DB" info | grep -i buildings || true

"$BIN" --db "$DB" serve --port "$PORT" 2>"$WORK/$LABEL/serve.log" &
SERVER_PID=$!
trap 'kill -TERM $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true' EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -sf -o /dev/null "$base/health" && break; sleep 0.1; done

# Same request lists as the peers; item ids are ours (our import numbers buildings 1..n as well).
dir=$WORK/req/communitygrid
coll=/collections/buildings
awk -v c="$coll" '{print c "/items?bbox=" $0 "&limit=100"}' "$WORK/req/bboxes.txt" >"$dir/viewport.txt"
awk -v c="$coll" '{print c "/items/" $0}' "$WORK/req/ids.txt" >"$dir/item.txt"
awk -v c="$coll" '{print c "/items?limit=1000&offset=" $0}' "$WORK/req/offsets.txt" >"$dir/bigpage.txt"

"$PY" "$HARNESS/validate.py" --label "$LABEL" --base "$base" --paths-dir "$dir" \
  --meta "$WORK/req/bboxes_meta.tsv" --out "$RES/validation.jsonl" >"$RES/validation-$LABEL.json"
echo "validation: $(cat "$RES/validation-$LABEL.json" | head -c 600)"
"$PY" "$HARNESS/bench_http.py" --label "$LABEL" --base "$base" --pid "$SERVER_PID" \
  --paths-dir "$dir" --scenarios "$SCENARIOS" --conns "$CONNS" --threads 2 --duration "$DURATION" \
  --out "$RES/results.jsonl" --note "communitygrid serve (Hummingbird 2, GRDB pool, release build)"
kill -TERM $SERVER_PID; wait $SERVER_PID 2>/dev/null || true
trap - EXIT

if [ -n "$PEERS" ]; then
  SERVERS="$PEERS" DURATION=$DURATION CONNS=$CONNS SCENARIOS=$SCENARIOS APPEND=1 SKIP_DATA=1 QUIET_WAIT=60 "$HARNESS/run.sh"
fi
"$PY" "$HARNESS/render.py" "$RES/results.jsonl" "$RES/validation.jsonl" >"$RES/results.md"
cat "$RES/results.md"
