-- Read-only. ARGV: P mbid mode(F|C|M|S) changed_since limit lo hi ...   (no ranges = all)
-- Returns {next_uid, lines, summary*} with one line per message, ascending:
--   F: "uid modseq flags..."   M/S: "uid modseq size idate blob emailid threadid savedate flags..."
--   (S: one summary each; "-" for a missing blob or id, 0 for a missing save date)
-- C (columns): {next_uid, "uid uid ...", "modseq modseq ...", "set set ...", flags of set 0, of set 1, ...}
--   where set is the 0-based index of the message's flag list ("flag flag ...") among the distinct ones.
-- or an error JSON string. At most `limit` messages; next_uid = the first UID left out (0 = none).
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
if mode == 'C' then
  local fk, us, ms, ix, sets = P..'fl:'..mbid, {}, {}, {}, {}
  local names = {}
  for s = 1, n, 1000 do
    local e = math.min(n, s + 999)
    local vals = redis.call('HMGET', fk, unpack(uids, s, e))
    for i = s, e do
      local x = vals[i - s + 1]
      local m, f
      if x then
        local sp = string.find(x, ' ', 1, true)
        if sp then m, f = string.sub(x, 1, sp - 1), string.sub(x, sp + 1) else m, f = x, '' end
      else  -- written before fl: existed, or vanished
        local v = redis.call('HMGET', pre..uids[i], 'm', 'f')
        m, f = v[1], v[2] or ''
      end
      if m then
        local k = names[f]
        if not k then
          sets[#sets + 1] = f
          k = #sets - 1
          names[f] = k
        end
        us[#us + 1] = uids[i]; ms[#ms + 1] = m; ix[#ix + 1] = k
      end
    end
  end
  out = {nxt, table.concat(us, ' '), table.concat(ms, ' '), table.concat(ix, ' ')}
  for _, f in ipairs(sets) do out[#out + 1] = f end
  return out
end
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
    if mode == 'S' then v = redis.call('HMGET', pre..uid, 'm', 's', 'd', 'b', 'e', 't', 'v', 'f', 'S')
    else v = redis.call('HMGET', pre..uid, 'm', 's', 'd', 'b', 'e', 't', 'v', 'f') end
    if v[1] then
      lines[#lines + 1] = uid..' '..v[1]..' '..(v[2] or '0')..' '..(v[3] or '0')..' '..(v[4] or '-')..' '
        ..(v[5] or '-')..' '..(v[6] or '-')..' '..(v[7] or '0')..' '..(v[8] or '')
      if mode == 'S' then out[#out + 1] = v[9] or '' end
    end
  end
end
out[2] = table.concat(lines, '\n')
return out
