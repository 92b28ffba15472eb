-- Exponential backoff of one key (decision 0011). KEYS[1] the key's hash {f: failures, u: blocked until ms}.
-- ARGV: op ("check", "fail", "reset") now_ms free_failures base_ms max_ms
-- Returns {failures, retry_after_ms}.
local op, now = ARGV[1], tonumber(ARGV[2])
if op == 'reset' then
  redis.call('DEL', KEYS[1])
  return {0, 0}
end
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local untl = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
if op == 'check' or untl > now then
  return {f, math.max(untl - now, 0)}
end
local free, base, max = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
f = redis.call('HINCRBY', KEYS[1], 'f', 1)
local delay = 0
if f >= free then
  delay = math.min(base * 2 ^ math.min(f - free, 40), max)
  redis.call('HSET', KEYS[1], 'u', now + delay)
end
redis.call('PEXPIRE', KEYS[1], delay + max)
return {f, delay}
