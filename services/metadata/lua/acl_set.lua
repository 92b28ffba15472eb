-- ARGV: P mailbox grantee mode rights; mode 'r' replace, 'a' add, 'd' remove; RIGHTS order kept.
-- Returns {id, rights}: the mailbox id and the grantee's rights now ("" = no entry left).
local mailbox, grantee, mode, given = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local id = redis.call('HGET', P..'mbx', mailbox)
if not id then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local key = P..'acl:'..id
local old = redis.call('HGET', key, grantee) or ''
local want = {}
if mode ~= 'r' then for ch in string.gmatch(old, '.') do want[ch] = true end end
for ch in string.gmatch(given, '.') do want[ch] = (mode ~= 'd') end
local out = {}
for ch in string.gmatch('lrswipkxtea', '.') do if want[ch] then out[#out + 1] = ch end end
local rights = table.concat(out)
if rights == '' then redis.call('HDEL', key, grantee) else redis.call('HSET', key, grantee, rights) end
return cjson.encode({id=id, rights=rights})
