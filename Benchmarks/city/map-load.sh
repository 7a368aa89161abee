#!/usr/bin/env bash
# The map page's load time in headless Chromium, in real time (no virtual time), on a store:
#   DB=/tmp/city.sqlite RUNS=5 ./Benchmarks/city/map-load.sh          (LIB=maplibre|leaflet, VIEW='#…', SIZE=1400,900)
# Serves DB with BIN (default: this checkout's release build, else its debug build) on a free port and opens the page
# RUNS times, each in a fresh browser profile (nothing cached). Times are the page's own, from the start of navigation:
#   first draw  the view first stood with its building tiles loaded and drawn (MapLibre only; data-first-draw-ms)
#   loaded      the page was ready: the legend filled (coverage, classes, worst grids, counts) and, on tiles, every
#               tile of the view loaded and drawn (data-load-ms, set with data-ready="true"), with the buildings,
#               communities and grids then drawn
# and prints each run and the medians. Run 1 is the first page after the server started (it reads the coverage
# figures and makes the view's tiles); later runs find those in the server's memory. A page not ready lists what it
# counted as errors (script errors, failed requests). The store is opened by the server as it is: copy a read-only
# store first.
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=${DB:?DB=path of the store to serve}
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
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "chromium is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
WORK=$(mktemp -d)
"$BIN" --db "$DB" serve --port 0 2>"$WORK/serve.log" &
SERVER=$!
# A server busy with a long request drains it before it stops: five seconds, then it is stopped hard.
trap 'kill "$SERVER" 2>/dev/null; for _ in $(seq 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
URL=""
for _ in $(seq 600); do
  URL=$(grep -o 'http://[0-9.]*:[0-9]*/' "$WORK/serve.log" | head -1 || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { echo "the server did not start: $(cat "$WORK/serve.log")" >&2; exit 2; }
echo "store $DB, server $BIN, page ${URL}?lib=$LIB$VIEW, window $SIZE, $RUNS runs"
# Chromium's DevTools protocol over --remote-debugging-pipe (file descriptors 3 and 4; no package needed).
python3 - "$CHROMIUM" "${URL}?lib=$LIB$VIEW" "$RUNS" "$SIZE" "$TIMEOUT" "$WORK" <<'PY'
import json, os, select, statistics, subprocess, sys, time
chromium, url, runs, size, timeout, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), sys.argv[6]

def one(run):
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    # The browser reads fd 3 and writes fd 4; move ours out of the way first.
    a, b = os.dup(to_browser_r), os.dup(from_browser_w)
    def child():
        os.dup2(a, 3); os.dup2(b, 4)
    profile = os.path.join(work, "profile-%d" % run)
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

rows = []
for run in range(1, runs + 1):
    s = one(run)
    if s.get("ready") != "true":
        print("run %d: not ready after %.0f s (%s)" % (run, timeout, {k: s.get(k) for k in ("communities", "grids", "buildings", "errors", "firstDrawMs")}), flush=True)
        if s.get("errorList"): print("  first errors: " + s["errorList"][:600], flush=True)
        continue
    rows.append(s)
    print("run %d: first draw %s ms (%s buildings drawn), loaded %s ms (%s buildings, %s communities, %s grids drawn); %s communities, %s grids, %s buildings, %s facilities; errors %s" % (
        run, s.get("firstDrawMs", "—"), s.get("firstDrawn", "—"), s.get("loadMs"), s.get("tilesDrawn", "—"), s.get("communitiesDrawn", "—"), s.get("gridsDrawn", "—"),
        s.get("communities"), s.get("grids"), s.get("buildings"), s.get("facilities"), s.get("errors")))
if rows:
    first = [int(r["firstDrawMs"]) for r in rows if r.get("firstDrawMs")]
    print("median of %d: first draw %s ms, loaded %d ms" % (len(rows), statistics.median(first) if first else "—", statistics.median(int(r["loadMs"]) for r in rows)))
else:
    sys.exit(2)
PY
