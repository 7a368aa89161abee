#!/bin/bash
# Items pages and a light probe under load, on a copy of a city store: how fairly the server answers requests that
# read the store while vector tiles are drawn.
# usage: Benchmarks/city/reads.sh BINARY STORE_COPY PORT [LABEL]   (env: SETTLE=10 DURATION=15 TILES_CONNECTIONS=32
#        ITEMS_CONNECTIONS=32; the ITEMS_* and TILES_* variables of items.lua and tiles.lua pass through)
# Phases, each DURATION seconds on one server: (1) items pages alone at 64 connections; (2) tiles (z14–16, gzip) and
# items pages at once, with a light probe (/conformance, one connection) beside them.
# Prints one line per phase: label, phase, server CPU ms per request (utime+stime of the server over the phase,
# over every request answered in it), then each wrk's JSON line.
set -euo pipefail
BIN=$1; STORE=$2; PORT=$3; LABEL=${4:-$(basename "$BIN")}
SETTLE=${SETTLE:-10}; DURATION=${DURATION:-15}
HERE=$(cd "$(dirname "$0")" && pwd)
export TILES_GZIP=${TILES_GZIP:-1} TILES_BBOX=${TILES_BBOX:-116.46,39.93,117.5682462,40.7480218} TILES_ZOOMS=${TILES_ZOOMS:-14-16}
export TILES_SEED=${TILES_SEED:-14}
URL=http://127.0.0.1:$PORT
WORK=$(mktemp -d)
"$BIN" --db "$STORE" serve --port "$PORT" >/dev/null 2>"$WORK/serve.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 600); do curl -sf -o /dev/null "$URL/health" && break; sleep 0.2; done
sleep "$SETTLE"
cpu() { awk '{print $14+$15}' /proc/$PID/stat; }
requests() { python3 -c 'import json,sys; print(sum(json.loads(l)["requests"] for l in sys.stdin if l.startswith("{")))'; }
per_request() { python3 -c "print(round(($2-$1)*1000/$(getconf CLK_TCK)/max(1,$3),2))"; }

t0=$(cpu)
items=$(wrk -t2 -c64 -d"${DURATION}s" --timeout 10s -s "$HERE/items.lua" "$URL" | grep '^{')
t1=$(cpu)
echo "$LABEL items-alone cpu_ms_per_req $(per_request "$t0" "$t1" "$(echo "$items" | requests)") items $items"

t0=$(cpu)
wrk -t1 -c"${TILES_CONNECTIONS:-32}" -d"${DURATION}s" --timeout 10s -s "$HERE/tiles.lua" "$URL" | grep '^{' >"$WORK/tiles" &
T=$!
wrk -t1 -c"${ITEMS_CONNECTIONS:-32}" -d"${DURATION}s" --timeout 10s -s "$HERE/items.lua" "$URL" | grep '^{' >"$WORK/items" &
I=$!
probe=$(ITEMS_PATH=/conformance wrk -t1 -c1 -d"${DURATION}s" --timeout 10s -s "$HERE/items.lua" "$URL" | grep '^{')
wait $T $I
t1=$(cpu)
tiles=$(cat "$WORK/tiles"); items=$(cat "$WORK/items")
echo "$LABEL mixed cpu_ms_per_req $(per_request "$t0" "$t1" "$(printf '%s\n%s\n' "$tiles" "$items" | requests)") tiles $tiles items $items probe $probe"
