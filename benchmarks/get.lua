-- GET one path (the URL given to wrk) on keep-alive connections; no body.
-- env: BENCH_PATH (default "/")
local path = os.getenv("BENCH_PATH") or "/"
local req = nil

function request()
  if req == nil then
    req = wrk.format("GET", path)
  end
  return req
end
