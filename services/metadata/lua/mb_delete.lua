-- mb_delete(id): removes one mailbox and its messages; returns the blobs (delete, purge).
local function mb_delete(id)
  local mb = P..'mb:'..id
  local blobs = {}
  for _, u in ipairs(redis.call('ZRANGE', P..'u:'..id, 0, -1)) do
    local k = P..'m:'..id..':'..u
    local v = redis.call('HMGET', k, 's', 'b')
    if v[1] then
      blobs[#blobs + 1] = v[2]
      redis.call('HINCRBY', P..'quota', 'used', -tonumber(v[1])); redis.call('HINCRBY', P..'quota', 'messages', -1)
      redis.call('DEL', k)
    end
  end
  local name = redis.call('HGET', mb, 'name')
  for _, s in ipairs({'u:', 'ms:', 'x:', 'un:', 'dl:', 'rc:', 'kw:', 'fl:', 'md:', 'acl:', 'mb:'}) do redis.call('DEL', P..s..id) end
  if name then redis.call('HDEL', P..'mbx', name) end
  return blobs
end
