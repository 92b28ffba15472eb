-- ARGV: P mbid limit below_uid
-- Claims (removes from the mailbox's recent set) the UIDs one session reports as \Recent:
-- lowest first, at most `limit` (0 = all), and only below `below_uid` (0 = no bound), so a
-- message the session has not seen yet is left for whichever session reports it.
local mb = P..'mb:'..ARGV[2]
if redis.call('EXISTS', mb) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local rc = P..'rc:'..ARGV[2]
local limit = tonumber(ARGV[3] or '0') or 0
local below = tonumber(ARGV[4] or '0') or 0
local top = below > 0 and ('(' .. below) or '+inf'
local uids
if limit > 0 then
  uids = redis.call('ZRANGEBYSCORE', rc, '-inf', top, 'LIMIT', 0, limit)
else
  uids = redis.call('ZRANGEBYSCORE', rc, '-inf', top)
end
if #uids > 0 then redis.call('ZREM', rc, unpack(uids)) end
redis.call('HSET', mb, 'recent', redis.call('ZCARD', rc))
local out = {}
for i, u in ipairs(uids) do out[i] = tonumber(u) end
return cjson.encode({uids=out})
