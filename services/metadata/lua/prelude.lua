-- Shared by every per-user script (prepended). P = ARGV[1], the user's key prefix "{u:<id>}:".
-- The keyword bound placeholder below is replaced by services.metadata.lua.MAX_KEYWORDS when loaded.
local P = ARGV[1]
local MAX_KEYWORDS = __MAX_KEYWORDS__
-- reason: an ErrorReason name (kubemail.v1), mapped by services.metadata.errors.from_token
local function err(reason, msg) return cjson.encode({err=reason, msg=msg}) end
local function nextmodseq() return redis.call('INCR', P..'modseq') end
local function publish(kind, mbid, ms) redis.call('PUBLISH', P..'ev', kind..'|'..mbid..'|'..ms) end
local function hasflag(fs, f)
  for w in string.gmatch(fs, '%S+') do if w == f then return true end end
  return false
end
local function mb_create(name, special)
  local id = tostring(redis.call('INCR', P..'mbseq'))
  local t = redis.call('TIME')
  local uv = tonumber(t[1])
  local last = tonumber(redis.call('GET', P..'uidv') or '0')
  if uv <= last then uv = last + 1 end
  redis.call('SET', P..'uidv', uv)
  local ms = nextmodseq()
  redis.call('HSET', P..'mb:'..id, 'name', name, 'special', special or '', 'uidvalidity', uv, 'uidnext', 1,
    'hms', ms, 'messages', 0, 'unseen', 0, 'size', 0, 'deleted', 0, 'recent', 0, 'xtrim', 0)
  redis.call('HSET', P..'mbx', name, id)
  return id
end
local function ensure_parents(name)
  local pos = 1
  while true do
    local s = string.find(name, '/', pos, true)
    if not s then return end
    local parent = string.sub(name, 1, s - 1)
    if not redis.call('HGET', P..'mbx', parent) then mb_create(parent, '') end
    pos = s + 1
  end
end
-- keywords of fs not yet in the mailbox's list (each once; `seen` carries across calls)
local function kw_new(mbid, fs, seen, out)
  local kk = P..'kw:'..mbid
  for w in string.gmatch(fs, '%S+') do
    if string.sub(w, 1, 1) ~= '\\' and not seen[w] then
      seen[w] = true
      if redis.call('SISMEMBER', kk, w) == 0 then out[#out + 1] = w end
    end
  end
  return out
end
local function kw_room(mbid, n) return redis.call('SCARD', P..'kw:'..mbid) + n <= MAX_KEYWORDS end
local KW_FULL = 'too many keywords in this mailbox (limit '..MAX_KEYWORDS..')'
-- fs without the keywords that do not fit in the mailbox's list (Deliver must not fail)
local function kw_fit(mbid, fs)
  local new = kw_new(mbid, fs, {}, {})
  if #new == 0 or kw_room(mbid, #new) then return fs end
  local drop = {}
  for _, w in ipairs(new) do drop[w] = true end
  local keep = {}
  for w in string.gmatch(fs, '%S+') do if not drop[w] then keep[#keep + 1] = w end end
  return table.concat(keep, ' ')
end
local function kw_add(mbid, fs)
  for w in string.gmatch(fs, '%S+') do
    if string.sub(w, 1, 1) ~= '\\' then redis.call('SADD', P..'kw:'..mbid, w) end
  end
end
-- inserts one message; returns its uid. Counters, quota and the keyword list follow.
-- eid, tid: its EMAILID and THREADID (RFC 8474; false for a message stored before ids existed)
local function msg_insert(mbid, blob, size, idate, summary, fs, ms, eid, tid)
  local mb = P..'mb:'..mbid
  local uid = redis.call('HINCRBY', mb, 'uidnext', 1) - 1
  if fs ~= '' then kw_add(mbid, fs) end
  local mk = P..'m:'..mbid..':'..uid
  -- v: the save date (RFC 8514), when this copy entered the mailbox
  redis.call('HSET', mk, 'f', fs, 'd', idate, 's', size, 'b', blob, 'm', ms, 'S', summary, 'v', redis.call('TIME')[1])
  if eid then redis.call('HSET', mk, 'e', eid, 't', tid or eid) end
  redis.call('HSET', P..'fl:'..mbid, uid, ms..' '..fs)
  redis.call('ZADD', P..'u:'..mbid, uid, uid)
  redis.call('ZADD', P..'ms:'..mbid, ms, uid)
  if not hasflag(fs, '\\Seen') then
    redis.call('ZADD', P..'un:'..mbid, uid, uid); redis.call('HINCRBY', mb, 'unseen', 1)
  end
  if hasflag(fs, '\\Deleted') then
    redis.call('ZADD', P..'dl:'..mbid, uid, uid); redis.call('HINCRBY', mb, 'deleted', 1)
  end
  redis.call('ZADD', P..'rc:'..mbid, uid, uid); redis.call('HINCRBY', mb, 'recent', 1)
  redis.call('HINCRBY', mb, 'messages', 1); redis.call('HINCRBY', mb, 'size', size)
  redis.call('HSET', mb, 'hms', ms)
  redis.call('HINCRBY', P..'quota', 'used', size); redis.call('HINCRBY', P..'quota', 'messages', 1)
  return uid
end
-- removes one message; records the expunge when xlimit > 0. Returns {size, blob} or nil.
local function msg_remove(mbid, uid, ms, xlimit)
  local mb = P..'mb:'..mbid
  local k = P..'m:'..mbid..':'..uid
  local v = redis.call('HMGET', k, 'f', 's', 'b')
  if not v[2] then return nil end
  local size = tonumber(v[2])
  redis.call('DEL', k)
  redis.call('HDEL', P..'fl:'..mbid, uid)
  redis.call('ZREM', P..'u:'..mbid, uid)
  redis.call('ZREM', P..'ms:'..mbid, uid)
  if redis.call('ZREM', P..'un:'..mbid, uid) == 1 then redis.call('HINCRBY', mb, 'unseen', -1) end
  if redis.call('ZREM', P..'dl:'..mbid, uid) == 1 then redis.call('HINCRBY', mb, 'deleted', -1) end
  if redis.call('ZREM', P..'rc:'..mbid, uid) == 1 then redis.call('HINCRBY', mb, 'recent', -1) end
  redis.call('HINCRBY', mb, 'messages', -1); redis.call('HINCRBY', mb, 'size', -size)
  redis.call('HINCRBY', P..'quota', 'used', -size); redis.call('HINCRBY', P..'quota', 'messages', -1)
  if xlimit > 0 then
    local xk = P..'x:'..mbid
    redis.call('ZADD', xk, ms, uid)
    local n = redis.call('ZCARD', xk)
    if n > xlimit then
      local old = redis.call('ZRANGE', xk, 0, n - xlimit - 1, 'WITHSCORES')
      redis.call('ZREMRANGEBYRANK', xk, 0, n - xlimit - 1)
      local top = tonumber(old[#old])
      if top > tonumber(redis.call('HGET', mb, 'xtrim') or '0') then redis.call('HSET', mb, 'xtrim', top) end
    end
  end
  return {size, v[3], v[1]}
end
-- uids of mailbox matching flat ranges ARGV[first..], ascending, unique (0 = "*")
local function resolve(mbid, first)
  local uk = P..'u:'..mbid
  local top = redis.call('ZREVRANGE', uk, 0, 0)
  local maxuid = tonumber(top[1] or '0')
  if maxuid == 0 then return {} end
  local set, out = {}, {}
  for i = first, #ARGV, 2 do
    local lo, hi = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    if lo == 0 then lo = maxuid end
    if hi == 0 then hi = maxuid end
    if lo > hi then lo, hi = hi, lo end
    for _, u in ipairs(redis.call('ZRANGEBYSCORE', uk, lo, hi)) do
      local n = tonumber(u)
      if not set[n] then set[n] = true; out[#out + 1] = n end
    end
  end
  table.sort(out)
  return out
end
