-- wrk script of scripts/bench: one request shape per run, many users, status counts.
--
-- Environment:
--   BENCH_METHOD  GET | POST | PUT …             (default GET)
--   BENCH_PATH    path, may contain {{HERO}}      (default: the URL's path)
--   BENCH_BODY    body template: {{HERO}} {{USER}} {{N}} (request counter) {{N12}} (12 digits)
--   BENCH_USERS   file of `token<TAB>user_id<TAB>hero_id` lines (requests rotate over them)
-- At the end one line `BENCH_JSON {...}` carries requests, duration, latency percentiles (µs),
-- socket errors and every HTTP status with its count.

local method = os.getenv("BENCH_METHOD") or "GET"
local path_t = os.getenv("BENCH_PATH")
local body_t = os.getenv("BENCH_BODY")
local users_file = os.getenv("BENCH_USERS")

local threads = {}
local users = {}
local counter = 0
statuses = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  if users_file and users_file ~= "" then
    for line in io.lines(users_file) do
      local tok, user, hero = line:match("^(%S+)\t(%S+)\t(%S+)")
      if tok then
        users[#users + 1] = { tok, user, hero }
      end
    end
  end
  counter = (thread_index or 0) * 100000000
  if not path_t or path_t == "" then
    path_t = wrk.path
  end
end

local function fill(t, u)
  local s = t:gsub("{{N12}}", string.format("%012d", counter))
  s = s:gsub("{{N}}", tostring(counter))
  if u then
    s = s:gsub("{{HERO}}", u[3])
    s = s:gsub("{{USER}}", u[2])
  end
  return s
end

function request()
  counter = counter + 1
  local headers = {}
  local u = nil
  if #users > 0 then
    u = users[(counter % #users) + 1]
    headers["Authorization"] = "Bearer " .. u[1]
  end
  local body = nil
  if body_t and body_t ~= "" then
    body = fill(body_t, u)
    headers["Content-Type"] = "application/octet-stream"
  end
  return wrk.format(method, fill(path_t, u), headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then
      for k, v in pairs(s) do
        total[k] = (total[k] or 0) + v
      end
    end
  end
  local parts = {}
  for k, v in pairs(total) do
    parts[#parts + 1] = string.format('"%d":%d', k, v)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(parts, ",")))
end
