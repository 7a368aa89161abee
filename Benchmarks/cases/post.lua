-- Open311 POST requests at varied points of the demo district and varied categories (wrk -s post.lua).
-- API_KEY: the server's write token or a reporter key.
local key = os.getenv("API_KEY") or ""
local categories = {"refuse-pile", "street-vending", "illegal-parking", "street-light", "road-damage", "noise",
                    "green-damage", "elderly-visit", "neighbour-dispute", "refuse-point", "manhole-cover", "illegal-building"}
local kinds = {"grid_worker", "resident", "hotline_12345", "other"}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(14 + (id or 0))
  statuses = {}
end

request = function()
  local lon = 116.4605 + math.random() * 0.0270
  local lat = 39.9305 + math.random() * 0.0205
  local body = "api_key=" .. key .. "&service_code=" .. categories[math.random(#categories)] ..
               "&lat=" .. string.format("%.6f", lat) .. "&long=" .. string.format("%.6f", lon) ..
               "&description=load+test&attribute%5Breporter_kind%5D=" .. kinds[math.random(#kinds)]
  return wrk.format("POST", "/open311/v2/requests.json", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("requests %d in %.1f s: %.0f/s; latency median %.1f ms, p99 %.1f ms\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non-2xx or socket errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
