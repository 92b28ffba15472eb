-- Settles (part of) an intent on KEYS[1] = "{b:<sha>}". ARGV: op now (user keep)*: each user's
-- references in the intent become `keep` (0 = the commit did not happen or was a retry's
-- duplicate); the user leaves the intent, which goes when no user is left. Returns the count
-- after the change (-1 = no such intent: settled already). 0 also marks the blob for GC (zero).
local field = 'i:'..ARGV[1]
local raw = redis.call('HGET', KEYS[1], field)
if not raw then return -1 end
local rec = cjson.decode(raw)
local delta = 0
for i = 3, #ARGV, 2 do
  local u = ARGV[i]
  local had = tonumber(rec.u[u] or 0)
  if rec.u[u] ~= nil then
    delta = delta + tonumber(ARGV[i + 1]) - had
    rec.u[u] = nil
  end
end
if next(rec.u) == nil then
  redis.call('HDEL', KEYS[1], field)
else
  redis.call('HSET', KEYS[1], field, cjson.encode(rec))
end
local n = redis.call('HINCRBY', KEYS[1], 'refs', delta)
if n <= 0 then
  redis.call('HSET', KEYS[1], 'refs', 0, 'zero', ARGV[2])
  return 0
end
return n
