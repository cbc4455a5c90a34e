-- wrk script: POST pre-signed unique deliveries (from gen_webhooks.py) to
-- /webhooks/facebook. Set BODIES to the file path. Thread k of n sends lines
-- k, k+n, k+2n ... so no body is sent twice; it warns if the file runs out.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BODIES")
  nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  sigs, bodies = {}, {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local tab = line:find("\t", 1, true)
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    i = i + 1
  end
  idx = 0
  wrapped = 0
end

function request()
  idx = idx + 1
  if idx > #bodies then idx = 1; wrapped = wrapped + 1 end
  return wrk.format("POST", "/webhooks/facebook", {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = sigs[idx],
  }, bodies[idx])
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    if (t:get("wrapped") or 0) > 0 then
      io.stderr:write("WARNING: thread ran out of unique bodies (duplicates sent)\n")
    end
  end
end
