-- wrk script: random vector tiles (/tiles/WebMercatorQuad/{z}/{y}/{x}, every layer) over a box.
-- Env: TILES_BBOX=minLon,minLat,maxLon,maxLat  TILES_ZOOMS=14-16  TILES_SEED=1 (same seed, same tile sequence)
--      TILES_GZIP=1 (send Accept-Encoding: gzip, as browsers do; default: none, tiles come back as they are)
--      TILES_PATH=/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x} (the path template; default: every layer,
--      as above; another server's template may put {x} before {y}: the tile sequence is the same)
-- Prints one JSON line: requests/s, latency p50/p90/p99/max in ms, errors.
local bbox, zmin, zmax = {}, 14, 16
local headers = {}
local path = os.getenv("TILES_PATH") or "/tiles/WebMercatorQuad/{z}/{y}/{x}"
if os.getenv("TILES_GZIP") == "1" then headers["Accept-Encoding"] = "gzip" end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

function init(args)
  for v in string.gmatch(os.getenv("TILES_BBOX") or "116.3,39.9,116.5,40.0", "[^,]+") do bbox[#bbox + 1] = tonumber(v) end
  local zooms = os.getenv("TILES_ZOOMS") or "14-16"
  zmin, zmax = string.match(zooms, "(%d+)-(%d+)")
  zmin, zmax = tonumber(zmin), tonumber(zmax)
  -- Each thread its own sequence, the same in every run of one seed.
  math.randomseed((tonumber(os.getenv("TILES_SEED") or "1") or 1) * 7919 + (thread_number or 0))
end

local function tile(lon, lat, z)
  local n = 2 ^ z
  local s = math.sin(lat * math.pi / 180)
  local y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
  return math.floor((lon + 180) / 360 * n), math.floor(y * n)
end

function request()
  local z = math.random(zmin, zmax)
  local lon = bbox[1] + math.random() * (bbox[3] - bbox[1])
  local lat = bbox[2] + math.random() * (bbox[4] - bbox[2])
  local x, y = tile(lon, lat, z)
  local values = { z = z, x = x, y = y }
  return wrk.format("GET", (string.gsub(path, "{(%a)}", function(name) return tostring(values[name]) end)), headers)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "requests_per_s": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "errors": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors))
end
