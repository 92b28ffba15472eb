-- ARGV: P mbid
local mb = P..'mb:'..ARGV[2]
if redis.call('EXISTS', mb) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local rc = P..'rc:'..ARGV[2]
local limit = tonumber(ARGV[3] or '0') or 0
local uids
if limit > 0 then
  uids = redis.call('ZRANGE', rc, 0, limit - 1)
  if #uids > 0 then redis.call('ZREM', rc, unpack(uids)) end
else
  uids = redis.call('ZRANGE', rc, 0, -1)
  redis.call('DEL', rc)
end
redis.call('HSET', mb, 'recent', redis.call('ZCARD', rc))
local out = {}
for i, u in ipairs(uids) do out[i] = tonumber(u) end
return cjson.encode({uids=out})
