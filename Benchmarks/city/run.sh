#!/usr/bin/env bash
# The city benchmark: a generated city of N buildings taken through the whole product, each step timed with its
# peak memory (/usr/bin/time -v), ending with a table.
#   Benchmarks/city/run.sh [N] [OUTDIR]        N buildings (default 1000000), OUTDIR (default out/city-N)
# Steps: demo (the city's files), init, import osm, import communities, grids and the household register, coverage,
# grids assign, grids rebalance (one run over every community of the store: the form a grid office applies), then
# Benchmarks/city/tiles.sh STORE OUTDIR when it exists.
# BIN=/path/to/communitygrid uses that binary instead of building one (it must be a release build);
# MIN and MAX set the rebalance range (default 800 and 1300, the demo district's grids);
# SEED the city's seed (default 50180).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
OUT=${2:-out/city-$N}
SEED=${SEED:-50180}
MIN=${MIN:-800}
MAX=${MAX:-1300}
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null || sudo apt-get install -y -qq time >/dev/null; }
if [ -z "${BIN:-}" ]; then
  swift build -c release --product communitygrid >/dev/null
  BIN=$(swift build -c release --show-bin-path)/communitygrid
fi
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
DB=$OUT/city.sqlite
SRC=$OUT/src
TABLE=$OUT/steps.tsv
: > "$TABLE"
rm -rf "$SRC" "$DB" "$DB-wal" "$DB-shm"

# step NAME COMMAND…: runs the command under /usr/bin/time -v, keeps its output in logs/NAME.log and prints
# the step's wall time and peak RSS.
step() {
  local name=$1; shift
  local log=$OUT/logs/$name.log times=$OUT/logs/$name.time
  echo "== $name: $*"
  if ! /usr/bin/time -v -o "$times" "$@" > "$log" 2>&1; then
    echo "$name failed; the end of $log:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$times")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$times")
  printf '%s\t%s\t%s\n' "$name" "$wall" "$rss" >> "$TABLE"
  echo "   $wall s, peak RSS $rss MB (output: $log)"
}

step demo "$BIN" demo --buildings "$N" --out "$SRC" --seed "$SEED"
step init "$BIN" --db "$DB" init
step import-osm "$BIN" --db "$DB" import osm "$SRC/city.osm.pbf"
step import-communities "$BIN" --db "$DB" import geojson "$SRC/communities.geojson" --layer communities
step import-grids "$BIN" --db "$DB" import geojson "$SRC/grids.geojson" --layer grids
step import-households "$BIN" --db "$DB" import households "$SRC/households.csv"
step coverage "$BIN" --db "$DB" coverage
step grids-assign "$BIN" --db "$DB" grids assign
step rebalance "$BIN" --db "$DB" grids rebalance --min "$MIN" --max "$MAX"
if [ -x Benchmarks/city/tiles.sh ]; then
  step tiles Benchmarks/city/tiles.sh "$DB" "$OUT/tiles"
else
  echo "== tiles: Benchmarks/city/tiles.sh not present, skipped"
fi

echo
echo "city of $N buildings (seed $SEED), $BIN"
printf '| %-18s | %8s | %13s |\n' step "wall s" "peak RSS MB"
printf '|%s|%s|%s|\n' "--------------------" "----------" "---------------"
while IFS=$'\t' read -r name wall rss; do printf '| %-18s | %8s | %13s |\n' "$name" "$wall" "$rss"; done < "$TABLE"
