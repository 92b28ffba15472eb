-- Reconcile sweep, for a blob found in the blob store and last written before the grace cutoff
-- ARGV[1], on KEYS[1] = "{b:<sha>}": 1 = tombstoned (delete the blob now), 0 = keep it.
-- No key at all: written by a DATA/APPEND that failed before its commit (never referenced).
-- refs 0 released before the cutoff: collectable, whether or not gc:zero still lists it.
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'refs', 0, 'dead', '1')
  return 1
end
if redis.call('HGET', KEYS[1], 'dead') == '1' then return 1 end
if tonumber(redis.call('HGET', KEYS[1], 'refs') or '0') > 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'zero') or '0') > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'dead', '1')
return 1
