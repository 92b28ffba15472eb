-- Blob reference counts, on KEYS[1] = "{b:<sha>}" (hash refs, zero, dead).
if redis.call('HGET', KEYS[1], 'dead') == '1' then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'refs', tonumber(ARGV[1]))
redis.call('HDEL', KEYS[1], 'zero')
return n
