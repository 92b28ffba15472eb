-- Blob reference counts, on KEYS[1] = "{b:<sha>}" (hash refs, zero, dead, i:<op>*).
-- ARGV: n op record. The n references are an open intent "i:<op>" = record (JSON
-- {"t": time, "k": idempotency key, "u": {user id: refs}}) until blob_settle says how many the
-- commit kept; an intent a crash left open is resolved by the GC pass (services/metadata/gc.py).
if redis.call('HGET', KEYS[1], 'dead') == '1' then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'refs', tonumber(ARGV[1]))
redis.call('HDEL', KEYS[1], 'zero')
redis.call('HSET', KEYS[1], 'i:'..ARGV[2], ARGV[3])
return n
