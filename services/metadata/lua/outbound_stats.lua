-- Stats: {depth, due now, queued_at of the oldest entry (0 = empty)}. KEYS[1] = T due. ARGV: T.
local depth = redis.call('ZCARD', KEYS[1])
local due = redis.call('ZCOUNT', KEYS[1], '-inf', now_ms())
local first = redis.call('ZRANGE', T..'all', 0, 0)
local oldest = 0
if first[1] then oldest = tonumber(redis.call('HGET', T..'e:'..first[1], 'queued') or '0') end
return {depth, due, oldest}
