-- Read-only. ARGV: P mbid zset-prefix (u: un: dl: rc:) -> {uids (space separated, ascending), max modseq}
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
