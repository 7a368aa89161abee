#!/usr/bin/env bash
# The server's limits under load, on the demo district (release build):
#   mixed   bbox pages (64 connections) while isochrones are hammered (64 connections) at the same time:
#           bbox req/s and p99 stay those of a read, isochrones past the bound answer 503 with Retry-After
#   slow    SLOW sockets trickle request heads a byte a second while bbox pages run (16 connections):
#           how many sockets the server closed, after how long, and the bbox p99 meanwhile
# Env: DURATION (15), SLOW (200), PORT (5198), BIN (default: the release build), OUT (/tmp/communitygrid-hardening).
# Prints one markdown table row per scenario; raw wrk output lands in $OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${DURATION:-15}
SLOW=${SLOW:-200}
PORT=${PORT:-5198}
OUT=${OUT:-/tmp/communitygrid-hardening}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cd "$ROOT"
if [ -z "${BIN:-}" ]; then
  swift build -c release --product communitygrid >/dev/null
  BIN=$(swift build -c release --show-bin-path)/communitygrid
fi
mkdir -p "$OUT"
DB=$OUT/demo.sqlite
rm -f "$DB" "$DB-wal" "$DB-shm"
"$BIN" --db "$DB" init >/dev/null
"$BIN" --db "$DB" import osm GeoData/demo-district.osm >/dev/null
"$BIN" --db "$DB" import geojson GeoData/communities.geojson --layer communities >/dev/null
"$BIN" --db "$DB" import geojson GeoData/grids.geojson --layer grids >/dev/null
"$BIN" --db "$DB" import households GeoData/households.csv >/dev/null
"$BIN" --db "$DB" coverage >/dev/null

"$BIN" --db "$DB" serve --port "$PORT" 2>"$OUT/serve.log" &
SERVER_PID=$!
trap 'kill -TERM $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true' EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -sf -o /dev/null "$base/health" && break; sleep 0.1; done

# Request lists: bbox pages of about 0.004 x 0.003 degrees over the district; isochrones from its facilities.
/usr/bin/python3 - "$DB" "$OUT" <<'PY'
import random, sqlite3, sys
db, out = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
minx, miny, maxx, maxy = c.execute("SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_buildings_footprint").fetchone()
rnd = random.Random(7)
with open(out + "/bbox.txt", "w") as f:
    for _ in range(500):
        x, y = rnd.uniform(minx, maxx - 0.004), rnd.uniform(miny, maxy - 0.003)
        f.write("/collections/buildings/items?bbox=%.6f,%.6f,%.6f,%.6f&limit=100\n" % (x, y, x + 0.004, y + 0.003))
PY
# Isochrones from the facilities (their points come from the API: the file's geometry needs Spatialite to read).
curl -s "$base/collections/facilities/items?limit=1000" | /usr/bin/python3 -c '
import json, sys
for f in json.load(sys.stdin)["features"]:
    lon, lat = f["geometry"]["coordinates"][:2]
    print("/isochrones?lon=%.6f&lat=%.6f&minutes=5,10,15" % (lon, lat))' >"$OUT/isochrones.txt"

cat >"$OUT/paths.lua" <<'LUA'
local paths = {}
function init(args)
  for line in io.lines(args[1]) do if #line > 0 then paths[#paths + 1] = line end end
  math.randomseed(tonumber(args[2] or "1"))
end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.2f non2xx=%d socket_errors=%d p50=%.1f p99=%.1f\n",
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

field() { sed -n "s/.*RESULT.* $1=\([0-9.]*\).*/\1/p" "$2"; }
row() {  # label file
  local requests seconds
  requests=$(field requests "$2"); seconds=$(field seconds "$2")
  printf '| %s | %.0f | %s | %s | %s |\n' "$1" "$(echo "$requests / $seconds" | bc -l)" "$(field p99 "$2")" "$(field non2xx "$2")" "$(field socket_errors "$2")"
}

# Warm-up: load the network snapshot and the feature cache.
wrk -t1 -c4 -d2s -s "$OUT/paths.lua" "$base" -- "$OUT/isochrones.txt" >/dev/null
wrk -t1 -c4 -d2s -s "$OUT/paths.lua" "$base" -- "$OUT/bbox.txt" >/dev/null

echo "| scenario | req/s | p99 ms | non-2xx | socket errors |"
echo "|---|---:|---:|---:|---:|"
wrk -t2 -c64 -d"${DURATION}s" --timeout 10s -s "$OUT/paths.lua" "$base" -- "$OUT/bbox.txt" 1 >"$OUT/bbox-alone.txt"
row "bbox alone, 64 conns" "$OUT/bbox-alone.txt"
wrk -t1 -c64 -d"$((DURATION + 2))s" --timeout 10s -s "$OUT/paths.lua" "$base" -- "$OUT/isochrones.txt" 2 >"$OUT/iso-mixed.txt" &
ISO=$!
sleep 1
wrk -t1 -c64 -d"${DURATION}s" --timeout 10s -s "$OUT/paths.lua" "$base" -- "$OUT/bbox.txt" 3 >"$OUT/bbox-mixed.txt"
wait $ISO
row "mixed: bbox, 64 conns, while isochrones run" "$OUT/bbox-mixed.txt"
row "mixed: isochrones, 64 conns (non-2xx = 503 busy)" "$OUT/iso-mixed.txt"

# Slow clients: sockets that send a request head one byte a second, never finishing it.
/usr/bin/python3 - "$PORT" "$SLOW" "$((DURATION + 15))" >"$OUT/slow.txt" <<'PY' &
import socket, sys, time
port, count, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks, opened = [], time.time()
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port)); s.setblocking(False); socks.append(s)
head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
closed, i = {}, 0
while len(closed) < count and time.time() - opened < limit:
    for n, s in enumerate(socks):
        if n in closed: continue
        try:
            s.send(head[i:i + 1])
            if s.recv(1) == b"": closed[n] = time.time() - opened
        except BlockingIOError: pass
        except OSError: closed[n] = time.time() - opened
    i += 1
    time.sleep(1)
times = sorted(closed.values())
print("SLOW sockets=%d closed=%d first=%.1f last=%.1f" % (count, len(times), times[0] if times else -1, times[-1] if times else -1))
PY
SLOWPID=$!
sleep 1
wrk -t2 -c16 -d"${DURATION}s" --timeout 10s -s "$OUT/paths.lua" "$base" -- "$OUT/bbox.txt" 4 >"$OUT/bbox-slow.txt"
wait $SLOWPID
row "bbox, 16 conns, while $SLOW sockets trickle headers" "$OUT/bbox-slow.txt"
echo
cat "$OUT/slow.txt"
echo "server RSS after: $(grep VmRSS /proc/$SERVER_PID/status | awk '{print $2 / 1024 " MB"}'); alive: $(kill -0 $SERVER_PID && echo yes)"
