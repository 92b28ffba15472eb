-- Read-only. ARGV: P mbid zset-prefix (u: un: dl: rc:) want-modseq (1|0)
-- -> {uids (space separated, ascending), max modseq (0 unless wanted)} or an error JSON string
local mbid = ARGV[2]
local uids = redis.call('ZRANGE', P..ARGV[3]..mbid, 0, -1)
if #uids == 0 and redis.call('EXISTS', P..'mb:'..mbid) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local hms, mk = 0, P..'ms:'..mbid
if ARGV[4] == '1' then
  for s = 1, #uids, 1000 do
    for _, x in ipairs(redis.call('ZMSCORE', mk, unpack(uids, s, math.min(#uids, s + 999)))) do
      if x then
        local n = tonumber(x)
        if n > hms then hms = n end
      end
    end
  end
end
return {table.concat(uids, ' '), hms}
