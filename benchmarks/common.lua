-- Shared by every wrk script (load.py prepends it): numbers the threads, counts statuses
-- per thread, and prints one machine-readable line at the end:
--   WRK_JSON {"requests": ..., "duration_us": ..., "p50_us": ..., ...}
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

n2xx, n4xx, n5xx, nother, first_error = 0, 0, 0, 0, ""

function response(status, headers, body)
  if status >= 200 and status < 300 then
    n2xx = n2xx + 1
  else
    if status >= 400 and status < 500 then
      n4xx = n4xx + 1
    elseif status >= 500 then
      n5xx = n5xx + 1
    else
      nother = nother + 1
    end
    if first_error == "" then
      first_error = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

local function quote(s)
  return '"' .. string.gsub(string.gsub(s, '[%c"\\]', " "), "%s+", " ") .. '"'
end

function done(summary, latency, requests)
  local c2, c4, c5, co, err = 0, 0, 0, 0, ""
  for _, t in ipairs(threads) do
    c2 = c2 + (t:get("n2xx") or 0)
    c4 = c4 + (t:get("n4xx") or 0)
    c5 = c5 + (t:get("n5xx") or 0)
    co = co + (t:get("nother") or 0)
    if err == "" then err = t:get("first_error") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"status_2xx":%d,"status_4xx":%d,"status_5xx":%d,"status_other":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"first_error":%s}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, c2, c4, c5, co,
    e.connect, e.read, e.write, e.status, e.timeout, quote(err)))
end
