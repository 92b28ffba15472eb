-- 1 = tombstoned (delete the blob now), 0 = referenced, 2 = unknown key, 3 = not old enough
if redis.call('EXISTS', KEYS[1]) == 0 then return 2 end
if redis.call('HGET', KEYS[1], 'dead') == '1' then return 1 end
if tonumber(redis.call('HGET', KEYS[1], 'refs') or '0') > 0 then return 0 end
local z = tonumber(redis.call('HGET', KEYS[1], 'zero') or '0')
if z > tonumber(ARGV[1]) then return 3 end
redis.call('HSET', KEYS[1], 'dead', '1')
return 1
