-- Sliding window (two fixed windows, weighted). KEYS[1] current, KEYS[2] previous window.
-- ARGV: cost limit window elapsed_ms
local cost, limit, window, elapsed = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cost > 0 then
  cur = redis.call('INCRBY', KEYS[1], cost)
  redis.call('PEXPIRE', KEYS[1], window * 2000)
end
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = 1 - elapsed / (window * 1000)
return math.floor(prev * weight + cur)
