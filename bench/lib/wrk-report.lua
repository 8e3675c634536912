-- wrk script of `npm run bench` (bench/run.js): prints one machine-readable line with the figures, and
-- for signed rows sends each request with its own pre-made RFC 9421 signature from BENCH_WRK_SIGNED
-- (one "signature-input<TAB>signature" per line, each nonce used once). When they run out the thread
-- stops, so no replay is ever sent; the figures cover the time actually run.
local signed = {}
local file = os.getenv("BENCH_WRK_SIGNED")
if file and file ~= "" then
  for line in io.lines(file) do
    local input, signature = line:match("^([^\t]*)\t(.*)$")
    signed[#signed + 1] = { input, signature }
  end
end
local used = 0

request = function()
  if #signed == 0 then return wrk.request() end
  used = used + 1
  local s = signed[used]
  if s == nil then
    wrk.thread:stop()
    s = signed[#signed]
  end
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["signature-input"] = s[1]
  headers["signature"] = s[2]
  return wrk.format(nil, nil, headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationMicros":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"p50Micros":%.1f,"p99Micros":%.1f,"meanMicros":%.1f,"signedAvailable":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, #signed))
end
