#!/usr/bin/env bash
# Whole-process comparison, in one run, alternating A B A B: `communitygrid init + import osm` against
# `ogr2ogr -f SQLite -dsco SPATIALITE=YES` of the same file. Prints median wall seconds and peak RSS.
#   Benchmarks/import-vs-ogr2ogr.sh [FILE.osm.pbf] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-../shared/geodata/bench_andorra_2021-04-13.osm.pbf}
RUNS=${2:-7}
command -v ogr2ogr >/dev/null || { apt-get install -y -qq gdal-bin >/dev/null || sudo apt-get install -y -qq gdal-bin >/dev/null; }
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null || sudo apt-get install -y -qq time >/dev/null; }
swift build -c release --product communitygrid >/dev/null
BIN=$(swift build -c release --show-bin-path)/communitygrid
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ours() { rm -f "$WORK"/cg.sqlite*; "$BIN" --db "$WORK/cg.sqlite" init >/dev/null && "$BIN" --db "$WORK/cg.sqlite" import osm "$FILE" >/dev/null 2>&1; }
ogr() { rm -f "$WORK"/ogr.sqlite; ogr2ogr -f SQLite -dsco SPATIALITE=YES "$WORK/ogr.sqlite" "$FILE" >/dev/null 2>&1; }
export -f ours ogr; export BIN FILE WORK
for i in $(seq 0 "$RUNS"); do   # run 0 is a warm-up
  for who in ours ogr; do
    /usr/bin/time -f "$i $who %e %M" -a -o "$WORK/times" bash -c "$who"
  done
done
python3 - "$WORK/times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
data = {}
for i, who, wall, rss in rows:
    if i != "0": data.setdefault(who, []).append((float(wall), int(rss)))
for who, xs in data.items():
    print(f"{who:5s} wall median {statistics.median(w for w, _ in xs):.3f} s (min {min(w for w, _ in xs):.3f}, max {max(w for w, _ in xs):.3f}), peak RSS median {statistics.median(r for _, r in xs) / 1024:.0f} MB")
ratios = [a[0] / b[0] for a, b in zip(data["ours"], data["ogr"])]
print(f"ratio ours/ogr2ogr per pair: median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")
PY
