#!/usr/bin/env bash
# The map page's load time in headless Chromium, in real time (no virtual time), on a store:
#   DB=/tmp/city.sqlite STARTS=3 RUNS=3 ./Benchmarks/city/map-load.sh     (LIB=maplibre|leaflet, VIEW='#…', SIZE=1400,900)
# Starts a server on DB STARTS times (default 1) with BIN (default: this checkout's release build, else its debug
# build), each on a free port, and opens the page RUNS times on each (default 5), each in a fresh browser profile
# (nothing cached). BASE=/other/communitygrid alternates its starts with BIN's (BIN, BASE, BIN, …), so two builds are
# compared in the same period, each figure per build. Times are the page's own, from the start of navigation:
#   first draw  the view first stood with its building tiles loaded and drawn (MapLibre only; data-first-draw-ms)
#   loaded      the page was ready: the legend filled (coverage, classes, worst grids, counts) and, on tiles, every
#               tile of the view loaded and drawn (data-load-ms, set with data-ready="true"), with the buildings,
#               communities and grids then drawn
# Two figures per build: the first page after a server start (the browser is started once the server listens, and
# the server then still reads what it reads at start: the coverage figures, the buildings' point index), and pages
# on a running server (runs 2 and later, which find the figures and the view's tiles in the server's memory). Also
# per start: the time from launching the server to its "serving" line (listening), and its resident memory (VmRSS)
# right after the first page and after the last. A page not ready lists what it counted as errors (script errors,
# failed requests). The store is opened by each server as it is: copy a read-only store first.
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=${DB:?DB=path of the store to serve}
STARTS=${STARTS:-1}
RUNS=${RUNS:-5}
LIB=${LIB:-maplibre}
VIEW=${VIEW:-}
SIZE=${SIZE:-1400,900}
TIMEOUT=${TIMEOUT:-300}
if [ -z "${BIN:-}" ]; then
  BIN=.build/release/communitygrid
  [ -x "$BIN" ] || BIN=.build/debug/communitygrid
fi
[ -x "$BIN" ] || { echo "no communitygrid binary at $BIN: swift build -c release first" >&2; exit 1; }
[ -z "${BASE:-}" ] || [ -x "$BASE" ] || { echo "BASE=$BASE is not an executable" >&2; exit 1; }
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "chromium is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "store $DB, builds $BIN${BASE:+ and $BASE (alternating)}, page ?lib=$LIB$VIEW, window $SIZE, $STARTS starts x $RUNS runs"
# Chromium's DevTools protocol over --remote-debugging-pipe (file descriptors 3 and 4; no package needed).
python3 - "$CHROMIUM" "?lib=$LIB$VIEW" "$STARTS" "$RUNS" "$SIZE" "$TIMEOUT" "$WORK" "$DB" "$BIN" "${BASE:-}" <<'PY'
import json, os, re, select, statistics, subprocess, sys, time
chromium, query, starts, runs, size, timeout, work, db = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5],
                                                          float(sys.argv[6]), sys.argv[7], sys.argv[8])
builds = [b for b in sys.argv[9:11] if b]

def one(url, run):
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    # The browser reads fd 3 and writes fd 4; move ours out of the way first.
    a, b = os.dup(to_browser_r), os.dup(from_browser_w)
    def child():
        os.dup2(a, 3); os.dup2(b, 4)
    profile = os.path.join(work, "profile-%d-%d" % (os.getpid(), time.monotonic_ns()))
    browser = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage",
                                "--window-size=" + size, "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank"],
                               close_fds=False, preexec_fn=child, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for fd in (a, b, to_browser_r, from_browser_w): os.close(fd)
    out, inbox, buffer, ids = os.fdopen(to_browser_w, "wb", buffering=0), os.fdopen(from_browser_r, "rb", buffering=0), b"", [0]
    deadline = [time.monotonic() + timeout]
    def send(method, params=None, session=None):
        nonlocal buffer
        ids[0] += 1
        message = {"id": ids[0], "method": method, "params": params or {}}
        if session: message["sessionId"] = session
        out.write(json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in buffer:
                # A page whose main thread is busy answers late: give up at the run's deadline.
                if not select.select([inbox], [], [], max(0.0, deadline[0] - time.monotonic()))[0]: raise TimeoutError(method)
                chunk = inbox.read(65536)
                if not chunk: raise RuntimeError("the browser closed the pipe")
                buffer += chunk
            raw, buffer = buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == ids[0]:
                if "error" in reply: raise RuntimeError(method + ": " + json.dumps(reply["error"]))
                return reply.get("result", {})
    try:
        target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        send("Page.enable", session=session)
        started = time.monotonic()
        deadline[0] = started + timeout
        send("Page.navigate", {"url": url}, session=session)
        expression = ("(() => { const s = document.getElementById('status'); const e = document.getElementById('errors');"
                      " return s ? JSON.stringify(Object.assign({errorList: e ? e.innerText : ''}, s.dataset)) : '{}'; })()")
        status, said = {}, False
        while True:
            try:
                value = send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session).get("result", {}).get("value", "{}")
            except TimeoutError:
                break
            status = json.loads(value or "{}")
            if status.get("firstDrawMs") and not said:
                said = True
                print("run %d: first draw at %s ms (%s buildings drawn), %.1f s after navigation by the wall clock" % (run, status["firstDrawMs"], status.get("firstDrawn"), time.monotonic() - started), flush=True)
            if status.get("ready") == "true" or time.monotonic() - started > timeout: break
            time.sleep(0.05)
        return status
    finally:
        browser.kill(); browser.wait()

def resident(pid):
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmRSS:"): return int(line.split()[1]) // 1024
    except OSError:
        return None

def serve(binary, number):
    """One server start: the pages opened on it, the time to its serving line and its memory."""
    log = open(os.path.join(work, "serve-%d.log" % number), "w+")
    launched = time.monotonic()
    server = subprocess.Popen([binary, "--db", db, "serve", "--port", "0"], stdout=subprocess.DEVNULL, stderr=log)
    try:
        url = None
        while url is None and time.monotonic() - launched < 60:
            log.seek(0)
            found = re.search(r"http://[0-9.]+:[0-9]+/", log.read())
            if found: url = found.group(0)
            elif server.poll() is not None: break
            else: time.sleep(0.01)
        if url is None:
            log.seek(0)
            sys.exit("the server did not start: " + log.read())
        listening = time.monotonic() - launched
        print("start %d (%s, load average %.1f): listening after %.2f s" % (number, binary, os.getloadavg()[0], listening), flush=True)
        pages, rss = [], []
        for run in range(1, runs + 1):
            s = one(url + query, run)
            rss.append(resident(server.pid))
            if s.get("ready") != "true":
                print("  run %d: not ready after %.0f s (%s)" % (run, timeout, {k: s.get(k) for k in ("communities", "grids", "buildings", "errors", "firstDrawMs")}), flush=True)
                if s.get("errorList"): print("    first errors: " + s["errorList"][:600], flush=True)
                pages.append(None)
                continue
            pages.append(s)
            print("  run %d: first draw %s ms (%s buildings drawn), loaded %s ms (%s buildings, %s communities, %s grids drawn); %s communities, %s grids, %s buildings, %s facilities; errors %s; server RSS %s MB" % (
                run, s.get("firstDrawMs", "—"), s.get("firstDrawn", "—"), s.get("loadMs"), s.get("tilesDrawn", "—"), s.get("communitiesDrawn", "—"), s.get("gridsDrawn", "—"),
                s.get("communities"), s.get("grids"), s.get("buildings"), s.get("facilities"), s.get("errors"), rss[-1]), flush=True)
        return {"listening": listening, "pages": pages, "rss": rss}
    finally:
        # A server busy with a long request drains it before it stops: five seconds, then it is stopped hard.
        server.terminate()
        try: server.wait(5)
        except subprocess.TimeoutExpired: server.kill(); server.wait()
        log.close()

def median(values, unit="ms", scale=1):
    values = [v for v in values if v is not None]
    return ("%s %s (median of %d)" % (round(statistics.median(values) * scale, 2), unit, len(values))) if values else "—"

results = {b: [] for b in builds}
for number in range(starts * len(builds)):
    binary = builds[number % len(builds)]
    results[binary].append(serve(binary, number + 1))
ready_everywhere = True
for binary in builds:
    done = results[binary]
    first = [d["pages"][0] for d in done]
    later = [p for d in done for p in d["pages"][1:]]
    ready_everywhere = ready_everywhere and all(first) and all(later)
    loaded = lambda pages: median([int(p["loadMs"]) if p else None for p in pages])
    print("%s: first page after a start: loaded %s, %d of %d ready; on a running server: loaded %s, %d of %d ready; listening after %s; RSS after the first page %s, after the last %s" % (
        binary, loaded(first), sum(1 for p in first if p), len(first), loaded(later), sum(1 for p in later if p), len(later),
        median([d["listening"] for d in done], "s"), median([d["rss"][0] for d in done], "MB"), median([d["rss"][-1] for d in done], "MB")))
sys.exit(0 if ready_everywhere else 2)
PY
