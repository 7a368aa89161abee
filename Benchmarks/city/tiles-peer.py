#!/usr/bin/env python3
"""Helpers of tiles-peer.sh (standard library, plus mapbox-vector-tile for `check`).

  tiles-peer.py check OUT.json BBOX OURS_URL PEER_URL     one tile per zoom 14-16 (and z13) from both servers,
                                                          decoded and compared building by building
  tiles-peer.py pass OUT.json NAME=PID... -- wrk ARGS...  one wrk pass; the CPU time and peak memory of each named
                                                          process tree while it runs
  tiles-peer.py report OUTDIR                             medians of the passes: a table, ratios, tiles-peer.json
"""
import glob
import gzip
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


# Process trees from /proc ------------------------------------------------------------------------------------------

def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    return text[text.rindex(")") + 2:].split()


def tree(root):
    """The root and every live descendant."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(root):
    """User + system time of a tree: every live process's own time and that of the children it has reaped
    (a PostgreSQL backend or a worker that exits during a pass is counted through its parent)."""
    total = 0
    for pid in tree(root):
        try:
            fields = stat_fields(pid)
        except OSError:
            continue
        # utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat (index 11-14 after the name).
        total += sum(int(v) for v in fields[11:15])
    return total / TICKS


def memory_mb(root, key):
    """Summed VmRSS (status) or Pss (smaps_rollup: shared buffers counted once) of a tree, in MB."""
    total = 0
    for pid in tree(root):
        path = f"/proc/{pid}/smaps_rollup" if key == "Pss" else f"/proc/{pid}/status"
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total / 1024


def busy_seconds():
    """CPU time the whole machine has been busy (every core; /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal: all but idle and iowait.
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def own_seconds():
    """This process's CPU time and its reaped children's (wrk)."""
    times = os.times()
    return times.user + times.system, times.children_user + times.children_system


# One wrk pass ------------------------------------------------------------------------------------------------------

def run_pass(out, trees, wrk_args):
    memory_key = {name: ("Pss" if name == "postgres" else "VmRSS") for name in trees}
    peaks = {name: 0.0 for name in trees}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for name, pid in trees.items():
                peaks[name] = max(peaks[name], memory_mb(pid, memory_key[name]))
            stop.wait(0.2)

    with open("/proc/loadavg") as f:
        load_before = float(f.read().split()[0])
    before = {name: cpu_seconds(pid) for name, pid in trees.items()}
    busy_before, own_before = busy_seconds(), own_seconds()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    wrk = subprocess.run(wrk_args, capture_output=True, text=True)
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    after = {name: cpu_seconds(pid) for name, pid in trees.items()}
    busy_after, own_after = busy_seconds(), own_seconds()
    wrk_seconds = own_after[1] - own_before[1]
    servers_seconds = sum(after[name] - before[name] for name in trees)
    others_seconds = busy_after - busy_before - servers_seconds - wrk_seconds - (own_after[0] - own_before[0])
    with open("/proc/loadavg") as f:
        load_after = float(f.read().split()[0])
    text = wrk.stdout
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if wrk.returncode != 0 or not lines:
        sys.exit(f"wrk failed ({wrk.returncode}): {wrk.stderr.strip()} {text.strip()}")
    record = json.loads(lines[-1])
    requests = record["requests"]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    read = re.search(r"requests in [\d.]+\w+, ([\d.]+)(\w+) read", text)
    units = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    record.update({
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "timeouts": int(socket.group(4)) if socket else 0,
        "socket_errors": sum(int(v) for v in socket.groups()[:3]) if socket else 0,
        "kb_per_response": round(float(read.group(1)) * units.get(read.group(2), 1) / 1024 / max(requests, 1), 2) if read else None,
        "cpu_ms_per_request": {name: round((after[name] - before[name]) * 1000 / max(requests, 1), 3) for name in trees},
        "peak_mb": {name: round(peaks[name], 1) for name in trees},
        "memory_kind": memory_key,
        "wrk_cores": round(wrk_seconds / wall, 2),
        "others_cores": round(max(others_seconds, 0) / wall, 2),
        "load_before": load_before, "load_after": load_after,
        "wrk": " ".join(wrk_args),
    })
    with open(out, "w") as f:
        json.dump(record, f)
    cpu = ", ".join(f"{k} {v} ms" for k, v in record["cpu_ms_per_request"].items())
    print(f"  {record['requests_per_s']}/s, p50 {record['p50_ms']} ms, p99 {record['p99_ms']} ms, "
          f"non-2xx {record['non_2xx']}, timeouts {record['timeouts']}, CPU a request: {cpu}, load {load_before}-{load_after}")


# The check: the same tiles from both servers ------------------------------------------------------------------------

def tile_of(lon, lat, z):
    n = 2 ** z
    s = math.sin(lat * math.pi / 180)
    y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    return int((lon + 180) / 360 * n), int(y * n)


def fetch(url):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
        wire = len(body)
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body, wire


def inside(geometry, extent):
    """Whether a decoded geometry's box meets the tile proper (not only its buffer)."""
    xs, ys = [], []

    def walk(value):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (int, float)):
            xs.append(value[0]); ys.append(value[1])
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
    walk(geometry["coordinates"])
    return bool(xs) and max(xs) >= 0 and min(xs) <= extent and max(ys) >= 0 and min(ys) <= extent


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def check(out, bbox, ours, peer):
    import mapbox_vector_tile
    lon0, lat0, lon1, lat1 = bbox
    rng = random.Random(17)
    # Tiles near the first buildings of the city (its dense corner) and random ones over the box.
    spots = [(lon0 + (lon1 - lon0) * 0.02, lat0 + (lat1 - lat0) * 0.02)] + \
        [(lon0 + rng.random() * (lon1 - lon0), lat0 + rng.random() * (lat1 - lat0)) for _ in range(3)]
    results = []
    for z in (13, 14, 15, 16):
        for lon, lat in spots:
            x, y = tile_of(lon, lat, z)
            ours_bytes, ours_wire = fetch(ours.format(z=z, x=x, y=y))
            peer_bytes, peer_wire = fetch(peer.format(z=z, x=x, y=y))
            ours_layers = mapbox_vector_tile.decode(ours_bytes) if ours_bytes else {}
            peer_layers = mapbox_vector_tile.decode(peer_bytes) if peer_bytes else {}
            ours_features = [f for layer in ours_layers.values() for f in layer["features"]]
            peer_features = [f for layer in peer_layers.values() for f in layer["features"]]
            extent = 4096
            cells = [f for f in ours_features if "buildings" in f["properties"]]
            singles = {f["id"]: f for f in ours_features if "buildings" not in f["properties"]}
            peer_by_id = {f["properties"].get("id"): f for f in peer_features}
            singles_inside = {i for i, f in singles.items() if inside(f["geometry"], extent)}
            common = set(singles) & set(peer_by_id)
            mismatched = {}
            for i in common:
                a, b = singles[i]["properties"], peer_by_id[i]["properties"]
                for key in set(a) | (set(b) - {"id"}):
                    if not same(a.get(key), b.get(key)):
                        mismatched[key] = mismatched.get(key, 0) + 1
            results.append({
                "z": z, "x": x, "y": y,
                "ours_features": len(ours_features), "ours_buildings_drawn": len(singles),
                "ours_buildings_drawn_in_tile_proper": len(singles_inside),
                "ours_cells": len(cells), "ours_buildings_in_cells": sum(int(f["properties"]["buildings"]) for f in cells),
                "peer_buildings": len(peer_features),
                "in_both": len(common), "only_ours": len(set(singles) - set(peer_by_id)),
                "only_ours_in_tile_proper": len(singles_inside - set(peer_by_id)),
                "only_peer": len(set(peer_by_id) - set(singles)),
                "property_mismatches": mismatched,
                "ours_bytes": len(ours_bytes), "peer_bytes": len(peer_bytes),
                "ours_gzip_bytes": ours_wire, "peer_gzip_bytes": peer_wire,
            })
            r = results[-1]
            print(f"  z{z}/{x}/{y}: ours {r['ours_buildings_drawn']} buildings drawn ({r['ours_buildings_drawn_in_tile_proper']} "
                  f"reach the tile proper) + {r['ours_cells']} cells holding {r['ours_buildings_in_cells']}; peer "
                  f"{r['peer_buildings']}; in both {r['in_both']}, only ours {r['only_ours']} "
                  f"({r['only_ours_in_tile_proper']} in the tile proper), only peer {r['only_peer']}; properties "
                  f"differing {mismatched or 'none'}; bytes {r['ours_bytes']} / {r['peer_bytes']}, gzip "
                  f"{r['ours_gzip_bytes']} / {r['peer_gzip_bytes']}")
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


# Report -------------------------------------------------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def report(outdir):
    passes = {}
    for path in sorted(glob.glob(os.path.join(outdir, "pass-*.json"))):
        # pass-ROUND-SERVER-PHASE.json
        _, _, server, phase = os.path.basename(path)[:-5].split("-", 3)
        with open(path) as f:
            passes.setdefault((server, phase), []).append(json.load(f))
    rows = {}
    for (server, phase), records in passes.items():
        cpu = {}
        for name in records[0]["cpu_ms_per_request"]:
            cpu[name] = median([r["cpu_ms_per_request"][name] for r in records])
        peak = {name: max(r["peak_mb"][name] for r in records) for name in records[0]["peak_mb"]}
        rows[f"{server} {phase}"] = {
            "server": server, "phase": phase, "runs": len(records),
            "requests_per_s": median([r["requests_per_s"] for r in records]),
            "p50_ms": median([r["p50_ms"] for r in records]), "p99_ms": median([r["p99_ms"] for r in records]),
            "p99_ms_range": [min(r["p99_ms"] for r in records), max(r["p99_ms"] for r in records)],
            "non_2xx": sum(r["non_2xx"] for r in records), "timeouts": sum(r["timeouts"] for r in records),
            "kb_per_response": median([r["kb_per_response"] for r in records]),
            "cpu_ms_per_request": cpu,
            "cpu_ms_per_request_total": round(sum(v for v in cpu.values() if v is not None), 3),
            "peak_mb": peak,
            "others_cores": median([r["others_cores"] for r in records]),
            "load": [min(r["load_before"] for r in records), max(r["load_after"] for r in records)],
        }
    print("| server, pass | runs | requests/s | p50 ms | p99 ms (range) | non-2xx / timeouts | KB a response | "
          "CPU ms a request (by process tree) | peak memory MB | others' cores |")
    print("|---|---:|---:|---:|---|---|---:|---|---|---:|")
    order = {"ours": 0, "nocache": 1, "tipg": 2, "seeded": 3, "cold": 0, "again": 1}
    for key in sorted(rows, key=lambda k: (order.get(rows[k]["server"], 9), order.get(rows[k]["phase"], 9))):
        r = rows[key]
        cpu = " + ".join(f"{k} {v}" for k, v in r["cpu_ms_per_request"].items())
        peak = ", ".join(f"{k} {v}" for k, v in r["peak_mb"].items())
        print(f"| {key} | {r['runs']} | {r['requests_per_s']} | {r['p50_ms']} | {r['p99_ms']} ({r['p99_ms_range'][0]}–"
              f"{r['p99_ms_range'][1]}) | {r['non_2xx']} / {r['timeouts']} | {r['kb_per_response']} | {cpu} = "
              f"{r['cpu_ms_per_request_total']} | {peak} | {r['others_cores']} |")
    ratios = {}
    for server, phase in ((s, p) for s in ("nocache", "ours", "seeded") for p in ("cold", "again")):
        ours, peer = rows.get(f"{server} {phase}"), rows.get(f"tipg {phase}")
        if ours and peer and peer["cpu_ms_per_request_total"] and peer["p99_ms"]:
            ratios[f"{server} {phase}"] = {
                "cpu_ours_over_peer": round(ours["cpu_ms_per_request_total"] / peer["cpu_ms_per_request_total"], 3),
                "p99_ours_over_peer": round(ours["p99_ms"] / peer["p99_ms"], 3),
                "requests_per_s_ours_over_peer": round(ours["requests_per_s"] / peer["requests_per_s"], 3),
            }
            r = ratios[f"{server} {phase}"]
            print(f"{server} {phase} / tipg {phase}: CPU a request {r['cpu_ours_over_peer']}, p99 "
                  f"{r['p99_ours_over_peer']}, requests/s {r['requests_per_s_ours_over_peer']}")
    document = {"rows": rows, "ratios": ratios}
    for name in ("check.json", "meta.json"):
        path = os.path.join(outdir, name)
        if os.path.exists(path):
            with open(path) as f:
                document[name[:-5]] = json.load(f)
    with open(os.path.join(outdir, "tiles-peer.json"), "w") as f:
        json.dump(document, f, indent=1)


def main(argv):
    if len(argv) >= 2 and argv[1] == "pass" and "--" in argv:
        split = argv.index("--")
        trees = {}
        for item in argv[3:split]:
            name, pid = item.split("=")
            trees[name] = int(pid)
        run_pass(argv[2], trees, argv[split + 1:])
    elif len(argv) == 6 and argv[1] == "check":
        check(argv[2], [float(v) for v in argv[3].split(",")], argv[4], argv[5])
    elif len(argv) == 3 and argv[1] == "report":
        report(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
