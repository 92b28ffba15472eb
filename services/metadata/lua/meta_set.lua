-- ARGV: P mailbox max_entries (name op value)...; op 's' sets, 'd' removes (value ignored).
-- The whole set or nothing: the count is checked before anything is written.
local mailbox, max = ARGV[2], tonumber(ARGV[3])
local key = P..'md:S'
if mailbox ~= '' then
  local id = redis.call('HGET', P..'mbx', mailbox)
  if not id then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
  key = P..'md:'..id
end
local n = redis.call('HLEN', key)
local seen = {}
for i = 4, #ARGV, 3 do
  local name, op = ARGV[i], ARGV[i + 1]
  if not seen[name] then
    seen[name] = true
    local exists = redis.call('HEXISTS', key, name) == 1
    if op == 's' and not exists then n = n + 1 elseif op == 'd' and exists then n = n - 1 end
  end
end
if n > max then return err('METADATA_TOO_MANY', 'too many metadata entries') end
for i = 4, #ARGV, 3 do
  if ARGV[i + 1] == 's' then redis.call('HSET', key, ARGV[i], ARGV[i + 2]) else redis.call('HDEL', key, ARGV[i]) end
end
return cjson.encode({n=n})
