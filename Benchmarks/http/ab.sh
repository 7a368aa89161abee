#!/usr/bin/env bash
# Two builds of the server on the HTTP harness (run.sh, communitygrid only), interleaved: pair 1 before then after,
# pair 2 after then before, ...; then per request and connection count the median of each side and after/before.
#   BEFORE=/abs/old/communitygrid AFTER=/abs/new/communitygrid Benchmarks/http/ab.sh
# Env: PAIRS (3), and run.sh's WORK, DURATION, CONNS, SCENARIOS, PORT. Each run imports the data with its own build.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${BEFORE:?BEFORE=/abs/path/of/the/old/communitygrid}" "${AFTER:?AFTER=/abs/path/of/the/new/communitygrid}"
export WORK=${WORK:-/tmp/httppeer} PEERS="" APPEND=1
PAIRS=${PAIRS:-3}
rm -f "$WORK/results/results.jsonl" "$WORK/results/validation.jsonl"
for pair in $(seq 1 "$PAIRS"); do
  if [ $((pair % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for side in $order; do
    if [ "$side" = before ]; then bin=$BEFORE; else bin=$AFTER; fi
    echo "pair $pair: $side"
    LABEL=$side BIN=$bin "$HERE/run.sh" >"$WORK/ab-$pair-$side.log" 2>&1 || { tail -20 "$WORK/ab-$pair-$side.log"; exit 1; }
  done
done
python3 - "$WORK/results/results.jsonl" "$WORK/results/validation.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# What each run answered (features, counts, links, sizes, statuses), timings left out: the same on both sides?
def answered(record):
    return json.dumps({k: ({f: v for f, v in part.items() if "latency" not in f} if isinstance(part, dict) else part)
                       for k, part in record.items() if k not in ("label", "base")}, sort_keys=True)
checks = {}
for l in open(sys.argv[2]):
    if l.strip():
        record = json.loads(l)
        checks.setdefault(answered(record), set()).add(record["label"])
groups = {}
for r in runs:
    groups.setdefault((r["scenario"], r["conns"]), {}).setdefault(r["label"], []).append(r)
print("| request | conns | req/s before / after | ratio | p99 ms before / after | server CPU ms/req before / after | ratio | errors | others cores |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for (scenario, conns), sides in groups.items():
    m = {s: {k: statistics.median(r[k] for r in sides[s]) for k in ("rps", "lat_p99_ms", "server_cpu_ms_per_req", "other_cpu_cores")}
         for s in ("before", "after")}
    errors = sum(r["errors"] for s in sides.values() for r in s)
    b, a = m["before"], m["after"]
    print(f"| {scenario} | {conns} | {b['rps']:.0f} / {a['rps']:.0f} | {a['rps'] / b['rps']:.2f} | "
          f"{b['lat_p99_ms']:.1f} / {a['lat_p99_ms']:.1f} | {b['server_cpu_ms_per_req']:.3f} / {a['server_cpu_ms_per_req']:.3f} | "
          f"{a['server_cpu_ms_per_req'] / b['server_cpu_ms_per_req']:.2f} | {errors} | "
          f"{b['other_cpu_cores']:.2f} / {a['other_cpu_cores']:.2f} |")
print(f"(medians of {len(sides['before'])} runs a side)")
print("same answers in every run of both sides (validate.py):", "yes" if len(checks) == 1 else f"NO: {checks}")
sys.exit(0 if len(checks) == 1 else 1)
PY
