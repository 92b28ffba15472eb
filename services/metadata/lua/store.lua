-- ARGV: P mbid mode(R|A|D) unchanged_since nflags flag* lo hi ...
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
-- the mailbox's modseq before this store: a session that saw exactly it needs no re-read
local prior = tonumber(redis.call('HGET', mb, 'hms'))
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
return cjson.encode({updated=updated, modified=modified, modseq=ms or 0, prior=ms and prior or 0})
