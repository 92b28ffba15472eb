"""Lua scripts: every per-user write is one script on the user's hash slot.

Key layout (P = "{u:<user_id>}:", so every key of a user hashes to one slot):

  P mbx           hash   canonical mailbox name -> mailbox id
  P mbseq         string last mailbox id
  P uidv          string last UIDVALIDITY handed out
  P modseq        string last MODSEQ (per user, so it also strictly increases per mailbox)
  P quota         hash   used (bytes), messages
  P subs          set    subscribed names
  P idem:<key>    string JSON result of a Deliver/Append (TTL)
  P lock, P locktok      POP3 maildrop lock (hash holder/token, TTL) and its fencing counter
  P mb:<id>       hash   name special uidvalidity uidnext hms messages unseen size deleted recent xtrim
  P u:<id>        zset   uid -> uid (the sequence map)
  P kw:<id>       set    keywords ever used in the mailbox (at most MAX_KEYWORDS new ones admitted)
  P ms:<id>       zset   uid -> modseq (CHANGEDSINCE)
  P x:<id>        zset   expunged uid -> modseq (trimmed to a bound; xtrim = highest trimmed modseq)
  P un:<id>       zset   unseen uids;  P dl:<id> zset deleted uids;  P rc:<id> zset recent uids
  P m:<id>:<uid>  hash   f flags (space separated) d internal date s size b blob m modseq S summary
  P fl:<id>       hash   uid -> "<modseq> <flags>" (a copy of m's f and m, read by FETCH FLAGS in one
                         HMGET per 1,000 UIDs; a missing field falls back to the message hash)
  channel P ev    "<kind>|<mailbox id>|<modseq>" published by the scripts

KEYS[1] is always a key of the user (for cluster routing); ARGV[1] is P.
Scripts return a JSON string: {"err": <ErrorReason name>, "msg": text} or a result object.
"""

from __future__ import annotations

MAX_KEYWORDS = 1000  # per mailbox; beyond it STORE/APPEND/COPY of a new keyword fail, Deliver drops it

PRELUDE = r"""
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
local function msg_insert(mbid, blob, size, idate, summary, fs, ms)
  local mb = P..'mb:'..mbid
  local uid = redis.call('HINCRBY', mb, 'uidnext', 1) - 1
  if fs ~= '' then kw_add(mbid, fs) end
  redis.call('HSET', P..'m:'..mbid..':'..uid, 'f', fs, 'd', idate, 's', size, 'b', blob, 'm', ms, 'S', summary)
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
""".replace("__MAX_KEYWORDS__", str(MAX_KEYWORDS))

# ARGV: P idem_key idem_ttl blob size idate summary quota_limit strict n (name flags)*n
DELIVER = r"""
local ikey = ARGV[2]
if ikey ~= '' then
  local prev = redis.call('GET', P..'idem:'..ikey)
  if prev then return prev end
end
local size, limit, strict, n = tonumber(ARGV[5]), tonumber(ARGV[8]), ARGV[9] == '1', tonumber(ARGV[10])
if limit > 0 then
  local used = tonumber(redis.call('HGET', P..'quota', 'used') or '0')
  if used + size * n > limit then return err('QUOTA_EXCEEDED', 'over quota') end
end
local ids = {}
for i = 1, n do
  local name = ARGV[9 + 2 * i]
  local id = redis.call('HGET', P..'mbx', name)
  if not id then
    if strict then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
    id = redis.call('HGET', P..'mbx', 'INBOX')
    if not id then return err('NO_SUCH_MAILBOX', 'user has no INBOX') end
  end
  ids[i] = id
end
local fss = {}
for i = 1, n do
  local fs = ARGV[10 + 2 * i]
  if fs ~= '' then
    if strict then
      -- Append (one target): refuse before anything is written
      if not kw_room(ids[i], #kw_new(ids[i], fs, {}, {})) then return err('KEYWORD_LIMIT', KW_FULL) end
    else
      fs = kw_fit(ids[i], fs)
    end
  end
  fss[i] = fs
end
local out = {}
for i = 1, n do
  local ms = nextmodseq()
  local uid = msg_insert(ids[i], ARGV[4], size, ARGV[6], ARGV[7], fss[i], ms)
  local uv = tonumber(redis.call('HGET', P..'mb:'..ids[i], 'uidvalidity'))
  out[i] = {ids[i], uv, uid, ms}
  publish('m', ids[i], ms)
end
local res = cjson.encode({ok=out})
if ikey ~= '' then redis.call('SET', P..'idem:'..ikey, cjson.encode({dup=out}), 'EX', tonumber(ARGV[3])) end
return res
"""

# ARGV: P mbid mode(R|A|D) unchanged_since nflags flag* lo hi ...
STORE = r"""
local mbid, mode, since, nf = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local mb = P..'mb:'..mbid
if redis.call('EXISTS', mb) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local req, reqlist = {}, {}
for i = 1, nf do req[ARGV[5 + i]] = true; reqlist[i] = ARGV[5 + i] end
local uids = resolve(mbid, 6 + nf)
local newkw = {}
if mode ~= 'D' and #uids > 0 then
  newkw = kw_new(mbid, table.concat(reqlist, ' '), {}, {})
  if #newkw > 0 and not kw_room(mbid, #newkw) then return err('KEYWORD_LIMIT', KW_FULL) end
end
local updated, modified, changes = {}, {}, {}
local ms = nil
for _, uid in ipairs(uids) do
  local k = P..'m:'..mbid..':'..uid
  local v = redis.call('HMGET', k, 'f', 'm')
  if v[1] then
    local cur = tonumber(v[2])
    if since > 0 and cur > since then
      modified[#modified + 1] = uid
    else
      local have, list = {}, {}
      for w in string.gmatch(v[1], '%S+') do have[w] = true; list[#list + 1] = w end
      local new = {}
      if mode == 'R' then
        new = reqlist
      elseif mode == 'A' then
        for _, w in ipairs(list) do new[#new + 1] = w end
        for _, w in ipairs(reqlist) do if not have[w] then new[#new + 1] = w end end
      else
        for _, w in ipairs(list) do if not req[w] then new[#new + 1] = w end end
      end
      local fs = table.concat(new, ' ')
      local changed = (#new ~= #list)
      if not changed then
        local nh = {}
        for _, w in ipairs(new) do nh[w] = true end
        for _, w in ipairs(list) do if not nh[w] then changed = true end end
      end
      if changed then
        if not ms then ms = nextmodseq() end
        redis.call('HSET', k, 'f', fs, 'm', ms)
        redis.call('HSET', P..'fl:'..mbid, uid, ms..' '..fs)
        redis.call('ZADD', P..'ms:'..mbid, ms, uid)
        local seen_before, seen_after = have['\\Seen'] == true, hasflag(fs, '\\Seen')
        if seen_before and not seen_after then
          redis.call('ZADD', P..'un:'..mbid, uid, uid); redis.call('HINCRBY', mb, 'unseen', 1)
        elseif seen_after and not seen_before then
          redis.call('ZREM', P..'un:'..mbid, uid); redis.call('HINCRBY', mb, 'unseen', -1)
        end
        local del_before, del_after = have['\\Deleted'] == true, hasflag(fs, '\\Deleted')
        if del_after and not del_before then
          redis.call('ZADD', P..'dl:'..mbid, uid, uid); redis.call('HINCRBY', mb, 'deleted', 1)
        elseif del_before and not del_after then
          redis.call('ZREM', P..'dl:'..mbid, uid); redis.call('HINCRBY', mb, 'deleted', -1)
        end
        cur = ms
      end
      updated[#updated + 1] = {uid, cur, fs}
    end
  end
end
if #updated > 0 and #newkw > 0 then redis.call('SADD', P..'kw:'..mbid, unpack(newkw)) end
if ms then redis.call('HSET', mb, 'hms', ms); publish('m', mbid, ms) end
return cjson.encode({updated=updated, modified=modified})
"""

# ARGV: P mbid fencing_token only_deleted xlimit lo hi ...  (no ranges = every \Deleted)
EXPUNGE = r"""
local mbid, token, only_del, xlimit = ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
local mb = P..'mb:'..mbid
if redis.call('EXISTS', mb) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
if token > 0 then
  local cur = redis.call('HGET', P..'lock', 'token')
  if not cur or tonumber(cur) ~= token then return err('LEASE_LOST', 'maildrop lock lost (fencing token)') end
end
local uids
if #ARGV < 6 then
  uids = {}
  for _, u in ipairs(redis.call('ZRANGE', P..'dl:'..mbid, 0, -1)) do uids[#uids + 1] = tonumber(u) end
else
  uids = resolve(mbid, 6)
end
local gone, blobs, ms = {}, {}, nil
for _, uid in ipairs(uids) do
  local ok = true
  if only_del then ok = redis.call('ZSCORE', P..'dl:'..mbid, uid) ~= false end
  if ok then
    if not ms then ms = nextmodseq() end
    local r = msg_remove(mbid, uid, ms, xlimit)
    if r then gone[#gone + 1] = uid; blobs[#blobs + 1] = r[2] end
  end
end
if ms then redis.call('HSET', mb, 'hms', ms); publish('m', mbid, ms) end
local hms = tonumber(redis.call('HGET', mb, 'hms'))
return cjson.encode({expunged=gone, blobs=blobs, modseq=hms})
"""

# ARGV: P src_mbid dst_name move(0|1) quota_limit xlimit uid*   (explicit uids, resolved by the caller)
COPY = r"""
local src, move, limit, xlimit = ARGV[2], ARGV[4] == '1', tonumber(ARGV[5]), tonumber(ARGV[6])
if redis.call('EXISTS', P..'mb:'..src) == 0 then return err('NO_SUCH_MAILBOX', 'no such source mailbox') end
local dst = redis.call('HGET', P..'mbx', ARGV[3])
if not dst then return err('NO_SUCH_DESTINATION', 'no such destination mailbox') end
local rows, total = {}, 0
for i = 7, #ARGV do
  local uid = tonumber(ARGV[i])
  local v = redis.call('HMGET', P..'m:'..src..':'..uid, 'f', 'd', 's', 'b', 'S')
  if v[3] then rows[#rows + 1] = {uid, v}; total = total + tonumber(v[3]) end
end
local kseen, knew = {}, {}
for _, row in ipairs(rows) do kw_new(dst, row[2][1] or '', kseen, knew) end
if #knew > 0 and not kw_room(dst, #knew) then return err('KEYWORD_LIMIT', KW_FULL) end
if not move and limit > 0 then
  local used = tonumber(redis.call('HGET', P..'quota', 'used') or '0')
  if used + total > limit then return err('QUOTA_EXCEEDED', 'over quota') end
end
local srcs, dsts, sblobs = {}, {}, {}
local dms, sms = nil, nil
for _, row in ipairs(rows) do
  local v = row[2]
  if not dms then dms = nextmodseq() end
  local nu = msg_insert(dst, v[4], tonumber(v[3]), v[2], v[5], v[1], dms)
  srcs[#srcs + 1] = row[1]; dsts[#dsts + 1] = nu; sblobs[#sblobs + 1] = v[4]
end
if dms then publish('m', dst, dms) end
if move and #rows > 0 then
  sms = nextmodseq()
  for _, row in ipairs(rows) do msg_remove(src, row[1], sms, xlimit) end
  redis.call('HSET', P..'mb:'..src, 'hms', sms)
  publish('m', src, sms)
end
local uv = tonumber(redis.call('HGET', P..'mb:'..dst, 'uidvalidity'))
local hms = tonumber(redis.call('HGET', P..'mb:'..src, 'hms'))
return cjson.encode({uidvalidity=uv, src=srcs, dst=dsts, blobs=sblobs, modseq=hms})
"""

# Read-only. ARGV: P mbid mode(F|M|S) changed_since limit lo hi ...   (no ranges = all)
# Returns {next_uid, lines, summary*} with one line per message, ascending:
#   F: "uid modseq flags..."   M/S: "uid modseq size idate blob flags..."  (S: one summary each)
# or an error JSON string. At most `limit` messages; next_uid = the first UID left out (0 = none).
FETCH_META = r"""
local mbid, mode, since, limit = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('EXISTS', P..'mb:'..mbid) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local uk = P..'u:'..mbid
local rs = {}
if #ARGV >= 6 then
  local top = redis.call('ZREVRANGE', uk, 0, 0)
  local maxuid = tonumber(top[1] or '0')
  if maxuid == 0 then return {0, ''} end
  for i = 6, #ARGV, 2 do
    local lo, hi = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    if lo == 0 then lo = maxuid end
    if hi == 0 then hi = maxuid end
    if lo > hi then lo, hi = hi, lo end
    rs[#rs + 1] = {lo, hi}
  end
  table.sort(rs, function(a, b) return a[1] < b[1] end)
end
local uids = {}
if since > 0 then
  local cand = {}
  for i, u in ipairs(redis.call('ZRANGEBYSCORE', P..'ms:'..mbid, '('..since, '+inf')) do cand[i] = tonumber(u) end
  table.sort(cand)
  local j = 1
  for _, u in ipairs(cand) do
    if #rs == 0 then
      uids[#uids + 1] = u
    else
      while j <= #rs and rs[j][2] < u do j = j + 1 end
      -- ranges sorted by lo: any later range starting at or below u may hold it
      local k, hit = j, false
      while k <= #rs and rs[k][1] <= u do
        if rs[k][2] >= u then hit = true; break end
        k = k + 1
      end
      if hit then uids[#uids + 1] = u end
    end
    if #uids > limit then break end
  end
elseif #rs == 0 then
  for i, u in ipairs(redis.call('ZRANGE', uk, 0, limit)) do uids[i] = tonumber(u) end
else
  local last = 0
  for _, r in ipairs(rs) do
    local lo = math.max(r[1], last + 1)
    if lo <= r[2] then
      for _, u in ipairs(redis.call('ZRANGEBYSCORE', uk, lo, r[2], 'LIMIT', 0, limit + 1 - #uids)) do
        uids[#uids + 1] = tonumber(u)
      end
      if #uids > 0 then last = uids[#uids] end
    end
    if #uids > limit then break end
  end
end
local nxt = 0
if #uids > limit then nxt = uids[limit + 1] end
local lines, out = {}, {nxt, ''}
local pre = P..'m:'..mbid..':'
local n = math.min(#uids, limit)
if mode == 'F' then
  local fk = P..'fl:'..mbid
  for s = 1, n, 1000 do
    local e = math.min(n, s + 999)
    local vals = redis.call('HMGET', fk, unpack(uids, s, e))
    for i = s, e do
      local x = vals[i - s + 1]
      if x then
        lines[#lines + 1] = uids[i]..' '..x
      else  -- written before fl: existed, or vanished
        local v = redis.call('HMGET', pre..uids[i], 'm', 'f')
        if v[1] then lines[#lines + 1] = uids[i]..' '..v[1]..' '..(v[2] or '') end
      end
    end
  end
end
for i = 1, n do
  local uid = uids[i]
  if mode == 'F' then
    break
  else
    local v
    if mode == 'S' then v = redis.call('HMGET', pre..uid, 'm', 's', 'd', 'b', 'f', 'S')
    else v = redis.call('HMGET', pre..uid, 'm', 's', 'd', 'b', 'f') end
    if v[1] then
      lines[#lines + 1] = uid..' '..v[1]..' '..(v[2] or '0')..' '..(v[3] or '0')..' '..(v[4] or '-')..' '..(v[5] or '')
      if mode == 'S' then out[#out + 1] = v[6] or '' end
    end
  end
end
out[2] = table.concat(lines, '\n')
return out
"""

# Read-only. ARGV: P mbid -> {uids (decimal, space separated), uidvalidity, uidnext, hms, first_unseen}
LIST_UIDS = r"""
local mbid = ARGV[2]
local h = redis.call('HMGET', P..'mb:'..mbid, 'uidvalidity', 'uidnext', 'hms')
if not h[1] then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local uids = table.concat(redis.call('ZRANGE', P..'u:'..mbid, 0, -1), ' ')
local fu = redis.call('ZRANGE', P..'un:'..mbid, 0, 0)
return {uids, tonumber(h[1]), tonumber(h[2]), tonumber(h[3]), tonumber(fu[1] or '0')}
"""

# Read-only. ARGV: P mbid zset-prefix (u: un: dl: rc:) -> {uids (space separated, ascending), max modseq}
SEARCH_SET = r"""
local mbid = ARGV[2]
local uids = redis.call('ZRANGE', P..ARGV[3]..mbid, 0, -1)
local hms, mk = 0, P..'ms:'..mbid
for s = 1, #uids, 1000 do
  for _, x in ipairs(redis.call('ZMSCORE', mk, unpack(uids, s, math.min(#uids, s + 999)))) do
    if x then
      local n = tonumber(x)
      if n > hms then hms = n end
    end
  end
end
return {table.concat(uids, ' '), hms}
"""

# ARGV: P (name special)*   creates the missing ones, subscribes them
INIT_USER = r"""
local made = 0
for i = 2, #ARGV, 2 do
  if not redis.call('HGET', P..'mbx', ARGV[i]) then
    mb_create(ARGV[i], ARGV[i + 1]); made = made + 1
  end
  redis.call('SADD', P..'subs', ARGV[i])
end
if made > 0 then publish('b', '', redis.call('GET', P..'modseq')) end
return cjson.encode({created=made})
"""

# ARGV: P name special
CREATE = r"""
local name = ARGV[2]
if redis.call('HGET', P..'mbx', name) then return err('MAILBOX_EXISTS', 'mailbox exists') end
if name ~= 'INBOX' and not redis.call('HGET', P..'mbx', 'INBOX') then return err('NO_SUCH_USER', 'no such user') end
ensure_parents(name)
local id = mb_create(name, ARGV[3])
publish('b', id, redis.call('GET', P..'modseq'))
return cjson.encode({id=id})
"""

local_delete_body = r"""
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
  for _, s in ipairs({'u:', 'ms:', 'x:', 'un:', 'dl:', 'rc:', 'kw:', 'fl:', 'mb:'}) do redis.call('DEL', P..s..id) end
  if name then redis.call('HDEL', P..'mbx', name) end
  return blobs
end
"""

# ARGV: P name
DELETE = (
    local_delete_body
    + r"""
local id = redis.call('HGET', P..'mbx', ARGV[2])
if not id then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local blobs = mb_delete(id)
publish('b', id, nextmodseq())
return cjson.encode({blobs=blobs})
"""
)

# ARGV: P   (removes every mailbox and message of the user)
PURGE = (
    local_delete_body
    + r"""
local all = {}
local n = 0
for _, id in ipairs(redis.call('HVALS', P..'mbx')) do
  n = n + redis.call('ZCARD', P..'u:'..id)
  for _, b in ipairs(mb_delete(id)) do all[#all + 1] = b end
end
redis.call('DEL', P..'mbx', P..'subs', P..'quota', P..'lock')
publish('b', '', nextmodseq())
return cjson.encode({blobs=all, messages=n})
"""
)

# ARGV: P old new xlimit
RENAME = r"""
local old, new, xlimit = ARGV[2], ARGV[3], tonumber(ARGV[4])
local oid = redis.call('HGET', P..'mbx', old)
if not oid then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
if redis.call('HGET', P..'mbx', new) then return err('MAILBOX_EXISTS', 'target mailbox exists') end
if old == 'INBOX' then
  ensure_parents(new)
  local nid = mb_create(new, '')
  local ms = nextmodseq()
  for _, u in ipairs(redis.call('ZRANGE', P..'u:'..oid, 0, -1)) do
    local v = redis.call('HMGET', P..'m:'..oid..':'..u, 'f', 'd', 's', 'b', 'S')
    if v[3] then
      msg_remove(oid, tonumber(u), ms, xlimit)
      msg_insert(nid, v[4], tonumber(v[3]), v[2], v[5], v[1], ms)
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
"""

# ARGV: P mbid
CLAIM_RECENT = r"""
local mb = P..'mb:'..ARGV[2]
if redis.call('EXISTS', mb) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local rc = P..'rc:'..ARGV[2]
local limit = tonumber(ARGV[3] or '0') or 0
local uids
if limit > 0 then
  uids = redis.call('ZRANGE', rc, 0, limit - 1)
  if #uids > 0 then redis.call('ZREM', rc, unpack(uids)) end
else
  uids = redis.call('ZRANGE', rc, 0, -1)
  redis.call('DEL', rc)
end
redis.call('HSET', mb, 'recent', redis.call('ZCARD', rc))
local out = {}
for i, u in ipairs(uids) do out[i] = tonumber(u) end
return cjson.encode({uids=out})
"""

# Maildrop lock. ARGV: P op(acquire|refresh|release) holder ttl token
MAILDROP = r"""
local op, holder, ttl, token = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local k = P..'lock'
local cur = redis.call('HMGET', k, 'holder', 'token')
if op == 'acquire' then
  if cur[1] and cur[1] ~= holder then return cjson.encode({acquired=false, token=0}) end
  local t = redis.call('INCR', P..'locktok')
  redis.call('HSET', k, 'holder', holder, 'token', t)
  redis.call('PEXPIRE', k, ttl * 1000)
  return cjson.encode({acquired=true, token=t})
end
if not cur[2] or tonumber(cur[2]) ~= token then return cjson.encode({acquired=false, token=0}) end
if op == 'refresh' then
  redis.call('PEXPIRE', k, ttl * 1000)
  return cjson.encode({acquired=true, token=token})
end
redis.call('DEL', k)
return cjson.encode({acquired=false, token=token})
"""

# Blob reference counts, on KEYS[1] = "{b:<sha>}" (hash refs, zero, dead).
BLOB_INCR = r"""
if redis.call('HGET', KEYS[1], 'dead') == '1' then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'refs', tonumber(ARGV[1]))
redis.call('HDEL', KEYS[1], 'zero')
return n
"""

BLOB_DECR = r"""
local n = redis.call('HINCRBY', KEYS[1], 'refs', -tonumber(ARGV[1]))
if n <= 0 then
  redis.call('HSET', KEYS[1], 'refs', 0, 'zero', ARGV[2])
  return 0
end
return n
"""

# 1 = tombstoned (delete the blob now), 0 = referenced, 2 = unknown key, 3 = not old enough
BLOB_MARK = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return 2 end
if redis.call('HGET', KEYS[1], 'dead') == '1' then return 1 end
if tonumber(redis.call('HGET', KEYS[1], 'refs') or '0') > 0 then return 0 end
local z = tonumber(redis.call('HGET', KEYS[1], 'zero') or '0')
if z > tonumber(ARGV[1]) then return 3 end
redis.call('HSET', KEYS[1], 'dead', '1')
return 1
"""

BLOB_DONE = r"""
if redis.call('HGET', KEYS[1], 'dead') == '1' then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""

# Sliding window (two fixed windows, weighted). KEYS[1] current, KEYS[2] previous window.
# ARGV: cost limit window elapsed_ms
LIMIT_HIT = r"""
local cost, limit, window, elapsed = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cost > 0 then
  cur = redis.call('INCRBY', KEYS[1], cost)
  redis.call('PEXPIRE', KEYS[1], window * 2000)
end
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local weight = 1 - elapsed / (window * 1000)
return math.floor(prev * weight + cur)
"""

# Outbound queue with per-recipient idempotency. KEYS[1] the stream "outbound", KEYS[2]
# "{outbound}:idem:<key>" (same slot: its hash tag is the stream's name) or "" for none.
# ARGV: ttl, n_recipients, recipients..., then field/value pairs. Returns the queue id, or
# "=<id>" when every recipient was already queued under the key (nothing added).
OUTBOUND_ADD = r"""
local ttl, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local idem = KEYS[2]
local fresh, first = {}, nil
for i = 3, 2 + n do
  local r = ARGV[i]
  local seen = false
  if idem ~= '' then
    local q = redis.call('HGET', idem, r)
    if q then seen = true; first = first or q end
  end
  if not seen then fresh[#fresh + 1] = r end
end
if #fresh == 0 then return '=' .. first end
local args = {KEYS[1], '*', 'recipients', table.concat(fresh, ',')}
for i = 3 + n, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
if idem ~= '' then
  for _, r in ipairs(fresh) do redis.call('HSET', idem, r, id) end
  redis.call('EXPIRE', idem, ttl)
end
return id
"""

USER_SCRIPTS = {
    "deliver": DELIVER,
    "store": STORE,
    "expunge": EXPUNGE,
    "copy": COPY,
    "init_user": INIT_USER,
    "create": CREATE,
    "delete": DELETE,
    "purge": PURGE,
    "rename": RENAME,
    "claim_recent": CLAIM_RECENT,
    "maildrop": MAILDROP,
    "fetch_meta": FETCH_META,
    "list_uids": LIST_UIDS,
    "search_set": SEARCH_SET,
}
PLAIN_SCRIPTS = {
    "blob_incr": BLOB_INCR,
    "blob_decr": BLOB_DECR,
    "blob_mark": BLOB_MARK,
    "blob_done": BLOB_DONE,
    "limit_hit": LIMIT_HIT,
    "outbound_add": OUTBOUND_ADD,
}
