-- mbx_read(by, key, want_kw): one mailbox by id (by = 'i') or by name ('n'): its id, the
-- HGETALL of its hash (flat), subscribed 0|1 and its keywords (when want_kw); nil if there is
-- none (mbx_get, select).
local function mbx_read(by, key, want_kw)
  local mbid = key
  if by == 'n' then
    mbid = redis.call('HGET', P..'mbx', key)
    if not mbid then return nil end
  end
  local h = redis.call('HGETALL', P..'mb:'..mbid)
  if #h == 0 then return nil end
  local name = ''
  for i = 1, #h, 2 do
    if h[i] == 'name' then name = h[i + 1]; break end
  end
  local kws = {}
  if want_kw then kws = redis.call('SMEMBERS', P..'kw:'..mbid) end
  return mbid, h, redis.call('SISMEMBER', P..'subs', name), kws
end
