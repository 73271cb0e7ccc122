-- POST statements to tracks. Each wrk thread drives one connection and owns its own tracks,
-- so connections never race for a track's next version (like one thread per track in the
-- library anchor). Every request body differs (summary, occurred_at, type, party).
-- env: BENCH_TRACKS  comma-separated track ids
--      BENCH_THREADS the wrk thread count (-t)
--      BENCH_TOKEN   a recorder bearer token
--      BENCH_BATCH   0: POST .../statements; N: POST .../statements:batch with N statements
local token = os.getenv("BENCH_TOKEN") or ""
local batch = tonumber(os.getenv("BENCH_BATCH") or "0")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local all_tracks = {}
for id in string.gmatch(os.getenv("BENCH_TRACKS") or "", "[^,]+") do
  table.insert(all_tracks, id)
end

local headers = {["Content-Type"] = "application/json",
                 ["Authorization"] = "Bearer " .. token}
local parties = {"United States", "Russia"}
-- Types that need no reference to another statement (same list as load.py's KINDS).
local kinds = {
  '"type":"demand","red_line":false',
  '"type":"proposal"',
  '"type":"statement"',
  '"type":"warning","category":"military"',
  '"type":"sanction_warning","target":"Russia","measures":["export controls"]',
  '"type":"meeting_scheduled","meeting_at":"2022-02-15","location":"Geneva"',
  '"type":"meeting_held","location":"Geneva"',
  '"type":"concession"',
  '"type":"agreement"',
}

local mine = {}
local n = 0

function init(args)
  for i, id in ipairs(all_tracks) do
    if (i - 1) % nthreads == tid then
      table.insert(mine, id)
    end
  end
  if #mine == 0 then
    mine = {all_tracks[tid % #all_tracks + 1]}
  end
end

local function statement(k)
  local s = k % 86400
  return string.format(
    '{%s,"party":"%s","occurred_at":"2022-01-%02dT%02d:%02d:%02d+00:00",' ..
    '"summary":"Statement %d of connection %d","quote":"We expect a written answer.",' ..
    '"source":{"url":"https://example.org/s/%d","publisher":"bench"},' ..
    '"topics":["security","nato"]}',
    kinds[k % #kinds + 1], parties[math.floor(k / #kinds) % 2 + 1], k % 28 + 1,
    math.floor(s / 3600), math.floor(s / 60) % 60, s % 60, k, tid, k)
end

function request()
  n = n + 1
  local track = mine[n % #mine + 1]
  if batch > 0 then
    local parts = {}
    for i = 1, batch do
      parts[i] = statement(n * batch + i)
    end
    return wrk.format("POST", "/v1/tracks/" .. track .. "/statements:batch", headers,
                      '{"statements":[' .. table.concat(parts, ",") .. ']}')
  end
  return wrk.format("POST", "/v1/tracks/" .. track .. "/statements", headers, statement(n))
end
