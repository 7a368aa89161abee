#!/usr/bin/env python3
"""Two builds of `communitygrid-bench peer` on the peer harness's task, interleaved A B, B A, A B, ...

Each run is one fresh process under /usr/bin/time -v, started by the harness's own run_once
(../shared/bench/peers/bench.py), on the data its derive.py made. Prints, per case and figure, the median of
each side and after/before; checks that both sides print the same answers (covered origins, shares, nodes within,
isochrone) and write the same per-origin CSV.

  Benchmarks/peer-ab.py --before /abs/old/communitygrid-bench --after /abs/new/communitygrid-bench \
      --data-root /tmp/peers/data [--pairs 3] [--cases spo:transit_stop,hel:grocery] [--out /tmp/peer-ab]
"""
import argparse, filecmp, json, os, statistics, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARNESS = os.path.join(ROOT, "..", "shared", "bench", "peers")
CASES = "spo:transit_stop,spo:rail_station,hel:grocery,hel:pharmacy,li:school,ad:pharmacy,ad:transit_stop"
ANSWERS = ("sources", "origins", "covered", "households", "households_covered", "share_households", "nodes_within",
           "graph_nodes", "graph_edges", "mean_walk_min_covered", "iso_source", "iso_nodes", "iso_km2")


def figures(run):
    f = {"wall_s": run["wall_s"], "peak_rss_mb": run["max_rss_mb"]}
    f.update({k + "_s": v for k, v in run["times_s"].items()})
    f.update({k: run[k] for k in ("iso_ms_median", "iso_ms_p95") if k in run})
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True, help="command of the old build (split on spaces)")
    ap.add_argument("--after", required=True, help="command of the new build")
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--cases", default=CASES)
    ap.add_argument("--harness", default=HARNESS)
    ap.add_argument("--out", default="/tmp/peer-ab")
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.harness))
    from bench import run_once  # the harness's runner: fresh process, /usr/bin/time -v, its JSON line

    os.makedirs(a.out, exist_ok=True)
    sides = {"before": a.before.split() + ["peer"], "after": a.after.split() + ["peer"]}
    runs = {}  # (case, side) -> [result]
    same = True
    for pair in range(a.pairs):
        order = ["before", "after"] if pair % 2 == 0 else ["after", "before"]
        for case in a.cases.split(","):
            data, category = case.split(":")
            for side in order:
                csv = os.path.join(a.out, f"{data}_{category}_{side}.csv")
                result = run_once(sides[side] + ["--data", os.path.join(a.data_root, data), "--category", category], csv)
                runs.setdefault((case, side), []).append(result)
                print(json.dumps({"pair": pair + 1, "case": case, "side": side, **figures(result)}), flush=True)
            before, after = (runs[(case, s)][-1] for s in ("before", "after"))
            differing = [k for k in ANSWERS if before.get(k) != after.get(k)]
            csvs = [os.path.join(a.out, f"{data}_{category}_{s}.csv") for s in ("before", "after")]
            if differing or not filecmp.cmp(*csvs, shallow=False):
                same = False
                print(f"{case}: answers differ: {differing or 'per-origin CSV'}", flush=True)

    print("\n| case | figure | before (median) | after (median) | after / before |\n|---|---|---:|---:|---:|")
    for case in a.cases.split(","):
        before = [figures(r) for r in runs[(case, "before")]]
        after = [figures(r) for r in runs[(case, "after")]]
        for key in before[0]:
            b = statistics.median(f[key] for f in before)
            n = statistics.median(f[key] for f in after)
            ratio = f"{n / b:.2f}" if b else "-"
            print(f"| {case} | {key} | {b:g} | {n:g} | {ratio} |")
    answers = {case: {k: runs[(case, "after")][0].get(k) for k in ("covered", "share_households", "nodes_within", "iso_nodes", "iso_km2")}
               for case in a.cases.split(",")}
    print("\nanswers (both sides):", json.dumps(answers))
    print("same answers and per-origin CSVs on both sides:", "yes" if same else "NO")
    json.dump({f"{c}|{s}": v for (c, s), v in runs.items()}, open(os.path.join(a.out, "runs.json"), "w"), indent=1)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
