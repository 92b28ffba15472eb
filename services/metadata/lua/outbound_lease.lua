-- Lease: up to n due entries (lowest due time first), each under a fresh token until now +
-- lease_ms; an expired lease is simply due again. KEYS[1] = T due. ARGV: T, n, lease_ms, holder.
-- Returns a list of {id, HGETALL of the entry...}.
local n, lease, holder = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now = now_ms()
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, n)) do
  local k = T..'e:'..id
  if redis.call('EXISTS', k) == 0 then
    redis.call('ZREM', KEYS[1], id)  -- cannot happen (finishing removes both); heal anyway
  else
    local tok = id..'.'..redis.call('INCR', T..'tok')
    redis.call('HINCRBY', k, 'attempt', 1)
    redis.call('HSET', k, 'tok', tok, 'holder', holder, 'exp', now + lease)
    redis.call('HDEL', k, 'dtok')
    redis.call('ZADD', KEYS[1], now + lease, id)
    local row = {id}
    for _, v in ipairs(redis.call('HGETALL', k)) do row[#row + 1] = v end
    out[#out + 1] = row
  end
end
return out
