-- ARGV: P old new xlimit
local old, new, xlimit = ARGV[2], ARGV[3], tonumber(ARGV[4])
local oid = redis.call('HGET', P..'mbx', old)
if not oid then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
if redis.call('HGET', P..'mbx', new) then return err('MAILBOX_EXISTS', 'target mailbox exists') end
if old == 'INBOX' then
  ensure_parents(new)
  local nid = mb_create(new, '')
  local ms = nextmodseq()
  for _, u in ipairs(redis.call('ZRANGE', P..'u:'..oid, 0, -1)) do
    local v = redis.call('HMGET', P..'m:'..oid..':'..u, 'f', 'd', 's', 'b', 'S', 'e', 't')
    if v[3] then
      msg_remove(oid, tonumber(u), ms, xlimit)
      msg_insert(nid, v[4], tonumber(v[3]), v[2], v[5], v[1], ms, v[6], v[7])
    end
  end
  redis.call('HSET', P..'mb:'..oid, 'hms', ms)
  redis.call('SADD', P..'subs', new)
  publish('b', nid, ms)
  return cjson.encode({id=nid})
end
local moves = {}
local prefix = old..'/'
local all = redis.call('HGETALL', P..'mbx')
for i = 1, #all, 2 do
  local name, id = all[i], all[i + 1]
  if name == old then
    moves[#moves + 1] = {name, new, id}
  elseif string.sub(name, 1, #prefix) == prefix then
    moves[#moves + 1] = {name, new..string.sub(name, #old + 1), id}
  end
end
for _, m in ipairs(moves) do
  if redis.call('HGET', P..'mbx', m[2]) then return err('MAILBOX_EXISTS', 'a renamed child would collide') end
end
for _, m in ipairs(moves) do redis.call('HDEL', P..'mbx', m[1]) end
for _, m in ipairs(moves) do
  redis.call('HSET', P..'mbx', m[2], m[3])
  redis.call('HSET', P..'mb:'..m[3], 'name', m[2])
  if redis.call('SREM', P..'subs', m[1]) == 1 then redis.call('SADD', P..'subs', m[2]) end
end
ensure_parents(new)
publish('b', oid, nextmodseq())
return cjson.encode({id=oid})
