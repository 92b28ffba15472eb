-- Read-only. ARGV: P by(i|n) mailbox-id-or-name keywords(0|1)
-- One mailbox in one round trip (GetMailbox, CreateMailbox, RenameMailbox): by id or by name,
-- {mailbox id, HGETALL of its hash, subscribed 0|1, keywords (when asked)} or an error JSON string.
local by, key, want_kw = ARGV[2], ARGV[3], ARGV[4] == '1'
local mbid = key
if by == 'n' then
  mbid = redis.call('HGET', P..'mbx', key)
  if not mbid then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
end
local h = redis.call('HGETALL', P..'mb:'..mbid)
if #h == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local name = ''
for i = 1, #h, 2 do
  if h[i] == 'name' then name = h[i + 1]; break end
end
local kws = {}
if want_kw then kws = redis.call('SMEMBERS', P..'kw:'..mbid) end
return {mbid, h, redis.call('SISMEMBER', P..'subs', name), kws}
