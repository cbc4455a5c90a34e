-- wrk script: POST /tab with form bodies from gen_signed_requests.py (BODIES=path),
-- cycling through them (each thread starts at a different offset). No cookies are
-- kept, so every request is a first visit from a new browser.
local counter = 0
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
  idx = (tid * 7919) % #bodies
end
function request()
  idx = idx % #bodies + 1
  return wrk.format("POST", "/tab", {["Content-Type"] = "application/x-www-form-urlencoded"}, bodies[idx])
end
