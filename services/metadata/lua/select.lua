-- ARGV: P name claim(0|1)
-- IMAP SELECT / EXAMINE in one step: {mbid, mailbox hash (flat), subscribed, keywords, uids
-- (decimal, space separated), first_unseen, recent uids}. With claim = 1 the unclaimed \Recent
-- messages are removed from the recent set (as claim_recent.lua, every one: the caller sees
-- every UID from this same moment); with 0 they are only listed.
local id, h, sub, kws = mbx_read('n', ARGV[2], true)
if not id then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local mb = P..'mb:'..id
local rc = P..'rc:'..id
local recent = redis.call('ZRANGE', rc, 0, -1)
if ARGV[3] == '1' and #recent > 0 then
  redis.call('DEL', rc)
  redis.call('HSET', mb, 'recent', 0)
  for i = 1, #h, 2 do if h[i] == 'recent' then h[i + 1] = '0' end end
end
local uids = table.concat(redis.call('ZRANGE', P..'u:'..id, 0, -1), ' ')
local fu = redis.call('ZRANGE', P..'un:'..id, 0, 0)
return {id, h, sub, kws, uids, tonumber(fu[1] or '0'), table.concat(recent, ' ')}
