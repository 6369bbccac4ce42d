-- Replays pre-rendered POST requests, one per line of a file written by bench/workload.py:
-- path, then header name and value pairs, then the body, separated by tabs.
-- Arguments (after `--`): the file, a text every good response body contains, the number
-- of wrk threads. Thread n replays lines n, n + threads, ... so no two threads send the
-- same request (idempotency keys and event ids stay unique).
-- A response is "unexpected" when its status is not 200, the text is missing, or it holds
-- a GraphQL or payload error; `done` prints one JSON line that bench/wrk.py reads.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_index", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in string.gmatch(line, "([^\t]+)") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local path = args[1]
  expected = args[2]
  local thread_count = tonumber(args[3])
  prepared = {}
  local index = 0
  for line in io.lines(path) do
    if index % thread_count == thread_index then
      local fields = split(line)
      local headers = { ["Content-Type"] = "application/json" }
      for i = 2, #fields - 1, 2 do
        headers[fields[i]] = fields[i + 1]
      end
      table.insert(prepared, wrk.format("POST", fields[1], headers, fields[#fields]))
    end
    index = index + 1
  end
  prepared_count = #prepared
  cursor = 0
  wrapped = 0
  unexpected = 0
end

function request()
  cursor = cursor + 1
  if cursor > #prepared then
    cursor = 1
    wrapped = wrapped + 1
  end
  return prepared[cursor]
end

function response(status, headers, body)
  if status ~= 200
    or not string.find(body, expected, 1, true)
    or string.find(body, '"errors":[{', 1, true) then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local unexpected_total, wrapped_total, prepared_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + thread:get("unexpected")
    wrapped_total = wrapped_total + thread:get("wrapped")
    prepared_total = prepared_total + thread:get("prepared_count")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"socket_errors":%d,"non_2xx":%d,"timeouts":%d,' ..
    '"unexpected":%d,"wrapped":%d,"prepared":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean,
    errors.connect + errors.read + errors.write, errors.status, errors.timeout,
    unexpected_total, wrapped_total, prepared_total))
end
