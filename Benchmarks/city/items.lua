-- wrk script: OGC API – Features items pages over random boxes, as QGIS pages through a view at city zoom.
-- Env: ITEMS_BBOX=minLon,minLat,maxLon,maxLat (where the boxes fall)  ITEMS_SPAN=0.02 (box side, degrees)
--      ITEMS_LIMIT=100  ITEMS_PAGES=3 (offset 0, limit, … up to this many pages)  ITEMS_SEED=1 (same seed, same boxes)
--      ITEMS_COLLECTION=buildings
--      ITEMS_PATH=/conformance (ask this one path instead of items pages: a light probe under another load)
-- Prints one JSON line: requests/s, latency p50/p90/p99/max in ms, errors.
local bbox, span, limit, pages = {}, 0.02, 100, 3
local fixed = os.getenv("ITEMS_PATH")
local collection = os.getenv("ITEMS_COLLECTION") or "buildings"

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

function init(args)
  for v in string.gmatch(os.getenv("ITEMS_BBOX") or "116.46,39.93,117.5682462,40.7480218", "[^,]+") do bbox[#bbox + 1] = tonumber(v) end
  span = tonumber(os.getenv("ITEMS_SPAN") or "0.02") or 0.02
  limit = tonumber(os.getenv("ITEMS_LIMIT") or "100") or 100
  pages = tonumber(os.getenv("ITEMS_PAGES") or "3") or 3
  math.randomseed((tonumber(os.getenv("ITEMS_SEED") or "1") or 1) * 7919 + (thread_number or 0))
end

function request()
  if fixed then return wrk.format("GET", fixed) end
  local lon = bbox[1] + math.random() * (bbox[3] - bbox[1] - span)
  local lat = bbox[2] + math.random() * (bbox[4] - bbox[2] - span)
  local offset = limit * math.random(0, pages - 1)
  return wrk.format("GET", string.format("/collections/%s/items?bbox=%.6f,%.6f,%.6f,%.6f&limit=%d&offset=%d",
    collection, lon, lat, lon + span, lat + span, limit, offset))
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "requests_per_s": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "errors": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors))
end
