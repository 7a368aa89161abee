#!/usr/bin/env bash
# Drawn vector tiles beside a peer, in one run on one machine: `communitygrid serve` and tipg (an OGC API – Tiles
# server drawing each tile with PostGIS `ST_AsMVT`) on the same buildings, the same tiles and the same wrk load.
#   1. Loads the store's buildings, with the properties our buildings tile layer carries (the same expressions over the
#      latest coverage run and the current places), into PostGIS: a private PostgreSQL cluster under OUTDIR/pg
#      (127.0.0.1 only, trust auth), GiST index, ANALYZE. The rows are read straight from the Spatialite file with
#      ogr2ogr (`export buildings` writes the import's properties, not the tile layer's). Kept for the next run
#      (RELOAD=1 loads again).
#   2. Checks tiles of zooms 13–16 from both servers: decoded, compared building by building (ids, properties),
#      counts printed (our layer sums buildings too small to draw into cells; tipg keeps each building and reads only
#      what meets the tile proper, we also read its buffer).
#   3. ROUNDS rounds, the servers' order turned each round: a fresh server (and for tipg a freshly started PostgreSQL),
#      SETTLE seconds, then random buildings tiles over the city's box at TILES_ZOOMS under
#      `wrk -tTHREADS -cCONNS -dDURATIONs --timeout 10s` (Benchmarks/city/tiles.lua, one seeded sequence for every
#      server): "cold", then the same sequence "again". Our server runs twice: as it is ("ours": its tile cache keeps
#      what it drew, and a random sequence asks for many tiles more than once) and with `--tile-cache-mb 0`
#      ("nocache": every request drawn, as tipg, which keeps no tiles, does). With SEEDED, also our server answering
#      from that file ("seeded").
# Records per pass requests/s, p50, p99, non-2xx and timeouts, the CPU time a request of each process tree (ours;
# tipg's uvicorn master and workers; PostgreSQL's postmaster and backends, separately) from /proc, peak memory (RSS;
# PostgreSQL's PSS, its processes share buffers) and the CPU other processes used meanwhile. Prints the medians and
# the ratios ours / tipg, writes OUTDIR/tiles-peer.json (and every pass as OUTDIR/pass-*.json, replaced by each run).
# Stops what it started, also on error or ctrl-C.
#   Benchmarks/city/tiles-peer.sh STORE OUTDIR
# STORE is opened for reading, but SQLite writes its -wal/-shm beside it: give a copy in a writable folder.
# Needs (checked, never installed here): PostgreSQL 15 with PostGIS 3 and GDAL's ogr2ogr
#   (apt-get install postgresql-15 postgresql-15-postgis-3 gdal-bin), wrk (apt-get install wrk), a Python with tipg
#   and uvicorn (python3 -m venv DIR && DIR/bin/pip install tipg==1.6.1 'uvicorn[standard]==0.54.0'; then
#   TIPG_PYTHON=DIR/bin/python), python3 with mapbox-vector-tile (pip install mapbox-vector-tile).
# Env: BIN (communitygrid; default: this checkout's release build), TIPG_PYTHON (python3), PG_BIN
#      (/usr/lib/postgresql/15/bin), TILES_PORT (18450, ours), PG_PORT (18451), PEER_PORT (18452), WORKERS (2: tipg's
#      uvicorn workers, one a core), ROUNDS (2), SETTLE (10), DURATION (15), CONNS (64), THREADS (2),
#      TILES_ZOOMS (14-16), TILES_SEED (14), TILES_GZIP (1: wrk asks for gzip as browsers do), TILES_BBOX (default: the
#      buildings' extent), SEEDED (an MBTiles file `tiles seed --layers buildings` made from STORE, or "make" to make
#      one of TILES_ZOOMS in OUTDIR; default: none), NOCACHE (0: leave out the run with `--tile-cache-mb 0`),
#      RELOAD (1: load the buildings into PostGIS again).
set -euo pipefail
STORE=${1:?usage: tiles-peer.sh STORE OUTDIR}
OUT=${2:?usage: tiles-peer.sh STORE OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:-$ROOT/.build/release/communitygrid}
TIPG_PYTHON=${TIPG_PYTHON:-python3}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=${TILES_PORT:-18450}
PG_PORT=${PG_PORT:-18451}
PEER_PORT=${PEER_PORT:-18452}
WORKERS=${WORKERS:-2}
ROUNDS=${ROUNDS:-2}
SETTLE=${SETTLE:-10}
DURATION=${DURATION:-15}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
export TILES_ZOOMS=${TILES_ZOOMS:-14-16} TILES_SEED=${TILES_SEED:-14} TILES_GZIP=${TILES_GZIP:-1}
SEEDED=${SEEDED:-}
RELOAD=${RELOAD:-0}
NOCACHE=${NOCACHE:-1}

need() { echo "$1" >&2; exit 1; }
[ -f "$STORE" ] || need "no store at $STORE"
[ -x "$BIN" ] || need "no communitygrid at $BIN (swift build -c release, or set BIN)"
[ -x "$PG_BIN/initdb" ] || need "no PostgreSQL at $PG_BIN (apt-get install postgresql-15, or set PG_BIN)"
[ -f "$("$PG_BIN/pg_config" --sharedir)/extension/postgis.control" ] || need "PostGIS is not installed (apt-get install postgresql-15-postgis-3)"
command -v ogr2ogr >/dev/null || need "ogr2ogr is not installed (apt-get install gdal-bin)"
command -v psql >/dev/null || need "psql is not installed (apt-get install postgresql-client-15)"
command -v wrk >/dev/null || need "wrk is not installed (apt-get install wrk)"
command -v curl >/dev/null || need "curl is not installed (apt-get install curl)"
"$TIPG_PYTHON" -c 'import tipg, uvicorn' 2>/dev/null ||
  need "no tipg in $TIPG_PYTHON (python3 -m venv DIR && DIR/bin/pip install tipg==1.6.1 'uvicorn[standard]==0.54.0'; TIPG_PYTHON=DIR/bin/python)"
python3 -c 'import mapbox_vector_tile' 2>/dev/null || need "python3 lacks mapbox-vector-tile (pip install mapbox-vector-tile)"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HELPER=$HERE/tiles-peer.py

# PostgreSQL refuses to run as root: the cluster then belongs to the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGDATA=$OUT/pg/data
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$OUT/pg/server.log" -w start >/dev/null
  PG_PID=$(head -1 "$PGDATA/postmaster.pid")
}
pg_stop() {
  if [ -f "$PGDATA/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true; fi
  PG_PID=
}
stop_pid() {
  # TERM, then KILL what is left of the process and its children after 10 s.
  local pid=$1 kids
  [ -n "$pid" ] || return 0
  kids=$(pgrep -P "$pid" || true)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # shellcheck disable=SC2086
  kill -KILL "$pid" $kids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
OURS_PID= TIPG_PID= PG_PID=
cleanup() { stop_pid "$OURS_PID"; stop_pid "$TIPG_PID"; pg_stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. The buildings in PostGIS.
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$OUT/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$OUT/pg"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust >/dev/null
  cat >> "$PGDATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$OUT/pg'
jit = off
EOF
fi
pg_start
"${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'tiles'" | grep -q 1 || "${PSQL[@]}" -d postgres -c "CREATE DATABASE tiles"
"${PSQL[@]}" -d tiles -c "CREATE EXTENSION IF NOT EXISTS postgis"
LOADED=$("${PSQL[@]}" -d tiles -c "SELECT to_regclass('public.buildings') IS NOT NULL")
if [ "$LOADED" != t ] || [ "$RELOAD" = 1 ]; then
  # The latest coverage run, the levels a building meets when it meets every level, and whether the run is stale:
  # what the server reads once and gives every building of a tile.
  read -r RUN ALL_LEVELS STALE < <(python3 - "$STORE" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT id, profile, data_versions FROM coverage_runs ORDER BY id DESC LIMIT 1").fetchone()
if row is None:
    print("-1 - 0"); sys.exit()
levels = ",".join(str(m) for m in sorted({level["minutes"] for level in json.loads(row[1]).get("levels", [])}))
recorded = json.loads(row[2]) if row[2] else None
current = dict(db.execute("SELECT layer, version FROM layer_versions").fetchall())
layers = ["buildings", "facilities", "network", "grids", "communities"]
stale = recorded is None or any(recorded.get(l) != current.get(l) for l in layers)
print(row[0], levels or "-", 1 if stale else 0)
EOF
)
  echo "loading buildings into PostGIS (coverage run $RUN, every level: $ALL_LEVELS, stale: $STALE)"
  PLACES="(SELECT basis FROM building_places_basis WHERE id = 1) = (SELECT 'buildings:' || (SELECT version FROM layer_versions WHERE layer = 'buildings') || ';grids:' || (SELECT version FROM layer_versions WHERE layer = 'grids') || ';communities:' || (SELECT version FROM layer_versions WHERE layer = 'communities'))"
  SQL="SELECT t.id AS id, t.footprint AS footprint, t.source AS source, t.source_id AS source_id,
    t.building_type AS type, t.name AS name, t.levels AS levels, t.households AS households,
    t.households_source AS households_source, round(t.area_m2, 1) AS area_m2, bp.grid_code AS grid_code,
    bp.community_code AS community_code, cb.levels_met AS coverage_levels_met,
    CASE WHEN cb.levels_met IS NULL THEN NULL ELSE cb.levels_met = '$ALL_LEVELS' END AS coverage_met,
    cb.run_id AS coverage_run, CASE WHEN cb.run_id IS NULL THEN NULL ELSE $STALE END AS coverage_stale,
    cb.off_network_m AS off_network_m
    FROM buildings t LEFT JOIN coverage_buildings cb ON cb.run_id = $RUN AND cb.building_id = t.id
    LEFT JOIN building_places bp ON bp.building_id = t.id AND $PLACES"
  start=$(date +%s.%N)
  ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$PG_PORT dbname=tiles user=postgres" "$STORE" -sql "$SQL" \
    -nln buildings -nlt MULTIPOLYGON -lco GEOMETRY_NAME=geom -lco FID=id -lco SPATIAL_INDEX=GIST -gt 100000 -overwrite
  "${PSQL[@]}" -d tiles \
    -c "ALTER TABLE buildings ALTER COLUMN coverage_met TYPE boolean USING coverage_met::text::int <> 0,
        ALTER COLUMN coverage_stale TYPE boolean USING coverage_stale::text::int <> 0" \
    -c "VACUUM ANALYZE buildings"
  echo "loaded in $(echo "$(date +%s.%N) - $start" | bc -l | cut -c1-6) s"
fi
BUILDINGS=$("${PSQL[@]}" -d tiles -c "SELECT count(*) FROM buildings")
echo "PostGIS buildings: $BUILDINGS (store: $(python3 -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT count(*) FROM buildings").fetchone()[0])' "$STORE"))"
if [ -z "${TILES_BBOX:-}" ]; then
  TILES_BBOX=$("${PSQL[@]}" -d tiles -c "SELECT concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (SELECT ST_Extent(geom) AS e FROM buildings) b")
fi
export TILES_BBOX
echo "tiles: z$TILES_ZOOMS over $TILES_BBOX, seed $TILES_SEED, gzip $TILES_GZIP"

OURS_PATH=/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}
PEER_PATH=/collections/public.buildings/tiles/WebMercatorQuad/{z}/{x}/{y}
start_ours() {
  # shellcheck disable=SC2086
  "$BIN" --db "$STORE" serve --port "$PORT" $1 2>> "$OUT/serve.log" > /dev/null &
  OURS_PID=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/conformance" && return 0; sleep 0.1; done
  need "communitygrid serve did not answer (see $OUT/serve.log)"
}
start_tipg() {
  DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/tiles" TIPG_DB_SCHEMAS='["public"]' \
    TIPG_DB_TABLES='["public.buildings"]' TIPG_SET_MVT_LAYERNAME=true \
    "$TIPG_PYTHON" -m uvicorn tipg.main:app --host 127.0.0.1 --port "$PEER_PORT" --workers "$WORKERS" \
    --no-access-log --log-level warning 2>> "$OUT/tipg.log" > /dev/null &
  TIPG_PID=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$PEER_PORT/collections/public.buildings" && return 0; sleep 0.1; done
  need "tipg did not answer (see $OUT/tipg.log)"
}

# 2. The same tiles from both.
: > "$OUT/serve.log"; : > "$OUT/tipg.log"
echo "check: the same tiles from both servers"
start_ours ""
start_tipg
python3 "$HELPER" check "$OUT/check.json" "$TILES_BBOX" "http://127.0.0.1:$PORT$OURS_PATH" "http://127.0.0.1:$PEER_PORT$PEER_PATH"
stop_pid "$OURS_PID"; OURS_PID=
stop_pid "$TIPG_PID"; TIPG_PID=

if [ "$SEEDED" = make ]; then
  SEEDED=$OUT/buildings-z$TILES_ZOOMS.mbtiles
  echo "seeding $SEEDED"
  "$BIN" --db "$STORE" tiles seed --layers buildings --min-zoom "${TILES_ZOOMS%%-*}" --max-zoom "${TILES_ZOOMS##*-}" --out "$SEEDED"
fi

VERSIONS="$("$TIPG_PYTHON" -c 'import importlib.metadata as m
names = ("tipg", "uvicorn", "uvloop", "httptools", "asyncpg", "fastapi", "starlette-cramjam")
found = []
for name in names:
    try: found.append(f"{name} {m.version(name)}")
    except m.PackageNotFoundError: pass
print(", ".join(found))'), $("${PSQL[@]}" -d tiles -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', PostGIS ' || postgis_lib_version() || ', GEOS ' || postgis_geos_version()"), $(ogr2ogr --version)"
echo "peer: $VERSIONS"
python3 - "$OUT/meta.json" <<EOF
import json, sys
json.dump({"store": "$STORE", "buildings": $BUILDINGS, "bbox": "$TILES_BBOX", "zooms": "$TILES_ZOOMS", "seed": $TILES_SEED,
           "gzip": "$TILES_GZIP", "connections": $CONNS, "threads": $THREADS, "duration_s": $DURATION, "settle_s": $SETTLE,
           "rounds": $ROUNDS, "tipg_workers": $WORKERS, "seeded": "$SEEDED", "versions": "$VERSIONS",
           "load_start": "$LOAD_START"}, open(sys.argv[1], "w"), indent=1)
EOF

# 3. The passes, the servers' order turned each round.
rm -f "$OUT"/pass-*.json
pass() {
  local round=$1 server=$2 phase=$3 url=$4 path=$5
  shift 5
  echo "round $round, $server, $phase:"
  TILES_PATH=$path python3 "$HELPER" pass "$OUT/pass-$round-$server-$phase.json" "$@" -- \
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$HERE/tiles.lua" "$url"
}
SERVERS=(ours)
[ "$NOCACHE" = 1 ] && SERVERS+=(nocache)
SERVERS+=(tipg)
[ -n "$SEEDED" ] && SERVERS+=(seeded)
for round in $(seq 1 "$ROUNDS"); do
  count=${#SERVERS[@]}
  for i in $(seq 0 $((count - 1))); do
    server=${SERVERS[$(((i + round - 1) % count))]}
    case $server in
      ours|nocache|seeded)
        case $server in
          ours) start_ours "" ;;
          nocache) start_ours "--tile-cache-mb 0" ;;
          seeded) start_ours "--tiles $SEEDED" ;;
        esac
        sleep "$SETTLE"
        for phase in cold again; do pass "$round" "$server" "$phase" "http://127.0.0.1:$PORT" "$OURS_PATH" "ours=$OURS_PID"; done
        stop_pid "$OURS_PID"; OURS_PID= ;;
      tipg)
        pg_stop; pg_start; start_tipg
        sleep "$SETTLE"
        for phase in cold again; do
          pass "$round" tipg "$phase" "http://127.0.0.1:$PEER_PORT" "$PEER_PATH" "tipg=$TIPG_PID" "postgres=$PG_PID"
        done
        stop_pid "$TIPG_PID"; TIPG_PID= ;;
    esac
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (at the start: $LOAD_START)"
python3 "$HELPER" report "$OUT"
echo "wrote $OUT/tiles-peer.json"
