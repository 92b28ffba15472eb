-- Read-only. ARGV: P mbid since after size
-- GetChanges in one round trip: the mailbox's counters, the UIDs whose modseq > since (only those
-- > after, ascending, at most `size`) with their modseq and flags, and the expunged UIDs since.
-- Returns {hms, uidnext, messages, xtrim, expunged ("uid uid ...", ascending), last (the page's last
--          UID when more follow, else 0),
--          lines ("uid modseq flags..." per changed message, "\n"-separated)} or an error JSON string.
local mbid, since, after, size = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local mb = P..'mb:'..mbid
local h = redis.call('HMGET', mb, 'hms', 'uidnext', 'messages', 'xtrim')
if not h[1] and redis.call('EXISTS', mb) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local every = {}
for _, u in ipairs(redis.call('ZRANGEBYSCORE', P..'ms:'..mbid, '('..since, '+inf')) do
  local n = tonumber(u)
  if n > after then every[#every + 1] = n end
end
table.sort(every)
local x = {}
for i, u in ipairs(redis.call('ZRANGEBYSCORE', P..'x:'..mbid, '('..since, '+inf')) do x[i] = tonumber(u) end
table.sort(x)
local n = math.min(#every, size)
local lines = {}
local fk, pre = P..'fl:'..mbid, P..'m:'..mbid..':'
for s = 1, n, 1000 do
  local e = math.min(n, s + 999)
  local vals = redis.call('HMGET', fk, unpack(every, s, e))
  for i = s, e do
    local v = vals[i - s + 1]
    if v then
      lines[#lines + 1] = every[i]..' '..v
    else  -- written before fl: existed, or vanished
      local m = redis.call('HMGET', pre..every[i], 'm', 'f', 's')
      if m[2] or m[3] then lines[#lines + 1] = every[i]..' '..(m[1] or '0')..' '..(m[2] or '') end
    end
  end
end
local last = 0
if #every > size and size > 0 then last = every[size] end
return {h[1] or '0', h[2] or '0', h[3] or '0', h[4] or '0', table.concat(x, ' '), last, table.concat(lines, '\n')}
