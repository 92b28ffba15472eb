-- Complete / Defer / Bounce of a leased entry, fenced by its lease token.
-- KEYS[1] = T due. ARGV: T, op (complete|defer|bounce), id, token, done ttl, then
--   complete: triples address/state (3 delivered, 4 failed)/reply
--   defer:    next_ms, error, addresses...
--   bounce:   reason, addresses... (none = every pending recipient)
-- Returns JSON {finished, blob, entry (the hash before this call, for bounce), bounced} or {err}.
local op, id, tok, ttl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local k = T..'e:'..id
local cur = redis.call('HMGET', k, 'tok', 'dtok', 'r', 'blob')
if not cur[3] then
  if tok ~= '' and redis.call('GET', T..'done:'..id) == tok then return cjson.encode({finished=1, again=1}) end
  return err('LEASE_EXPIRED', 'the entry is finished or unknown')
end
if op == 'defer' and cur[2] == tok and tok ~= '' then return cjson.encode({finished=0, again=1}) end
if cur[1] ~= tok or tok == '' then return err('LEASE_EXPIRED', 'the lease token no longer holds the entry') end
local rs = cjson.decode(cur[3])
local by = {}
for _, r in ipairs(rs) do by[r.a] = r end
local function named(first, step)
  for i = first, #ARGV, step do
    if not by[ARGV[i]] then return err('INVALID_ARGUMENT', 'not a recipient of the entry: '..ARGV[i]) end
  end
  return nil
end
local bounced = {}
if op == 'complete' then
  local bad = named(6, 3)
  if bad then return bad end
  for i = 6, #ARGV, 3 do
    local r = by[ARGV[i]]
    if pending(r) then r.s = tonumber(ARGV[i + 1]); r.n = r.n + 1; r.rp = ARGV[i + 2] end
  end
elseif op == 'defer' then
  local bad = named(8, 1)
  if bad then return bad end
  for i = 8, #ARGV do
    local r = by[ARGV[i]]
    if pending(r) then r.s = 2; r.n = r.n + 1; r.rp = ARGV[7] end
  end
elseif op == 'bounce' then
  local bad = named(7, 1)
  if bad then return bad end
  local list = {}
  if #ARGV < 7 then for _, r in ipairs(rs) do list[#list + 1] = r end
  else for i = 7, #ARGV do list[#list + 1] = by[ARGV[i]] end end
  for _, r in ipairs(list) do
    if pending(r) then r.s = 4; r.rp = ARGV[6]; bounced[#bounced + 1] = r end
  end
else
  return err('INTERNAL', 'unknown op '..op)
end
local entry = nil
if op == 'bounce' then entry = entry_map(k) end
if not any_pending(rs) then
  redis.call('DEL', k)
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', T..'all', id)
  redis.call('SET', T..'done:'..id, tok, 'EX', ttl)
  return cjson.encode({finished=1, blob=cur[4], entry=entry, bounced=bounced, r=rs})
end
redis.call('HSET', k, 'r', cjson.encode(rs))
if op == 'defer' then
  redis.call('HSET', k, 'err', ARGV[7], 'dtok', tok)
  redis.call('HDEL', k, 'tok', 'exp', 'holder')
  redis.call('ZADD', KEYS[1], tonumber(ARGV[6]), id)
end
return cjson.encode({finished=0, entry=entry, bounced=bounced, r=rs})
