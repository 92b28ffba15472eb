-- ARGV: P name special
local name = ARGV[2]
if redis.call('HGET', P..'mbx', name) then return err('MAILBOX_EXISTS', 'mailbox exists') end
if name ~= 'INBOX' and not redis.call('HGET', P..'mbx', 'INBOX') then return err('NO_SUCH_USER', 'no such user') end
ensure_parents(name)
local id = mb_create(name, ARGV[3])
publish('b', id, redis.call('GET', P..'modseq'))
return cjson.encode({id=id})
