-- ARGV: P name
local id = redis.call('HGET', P..'mbx', ARGV[2])
if not id then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local blobs = mb_delete(id)
publish('b', id, nextmodseq())
return cjson.encode({blobs=blobs})
