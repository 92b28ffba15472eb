-- Read-only. ARGV: P mbid -> {uids (decimal, space separated), uidvalidity, uidnext, hms, first_unseen}
local mbid = ARGV[2]
local h = redis.call('HMGET', P..'mb:'..mbid, 'uidvalidity', 'uidnext', 'hms')
if not h[1] then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local uids = table.concat(redis.call('ZRANGE', P..'u:'..mbid, 0, -1), ' ')
local fu = redis.call('ZRANGE', P..'un:'..mbid, 0, 0)
return {uids, tonumber(h[1]), tonumber(h[2]), tonumber(h[3]), tonumber(fu[1] or '0')}
