-- wrk script for the polling benchmark: counts non-200 answers and prints one JSON line.
-- Run: wrk -t2 -c50 -d10s --latency -s bench/loadgen/poll.lua '<url>'
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  bytes = 0
end

function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
  bytes = bytes + #body
end

function done(summary, latency, requests)
  local bad, total_bytes = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
    total_bytes = total_bytes + t:get("bytes")
  end
  local secs = summary.duration / 1e6
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write
             + summary.errors.timeout + summary.errors.status
  local ok = summary.requests - bad
  io.write(string.format(
    'JSON {"mode":"poll","concurrency_note":"wrk -c","duration_s":%.3f,"requests":%d,"ok":%d,' ..
    '"non_200_or_errors":%d,"socket_errors":%d,"requests_per_s":%.1f,"bytes_per_response":%d,' ..
    '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f}}\n',
    secs, summary.requests, ok, bad + errs, errs, ok / secs,
    summary.requests > 0 and math.floor(total_bytes / summary.requests) or 0,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000))
end
