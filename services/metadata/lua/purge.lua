-- ARGV: P   (removes every mailbox and message of the user)
local all = {}
local n = 0
for _, id in ipairs(redis.call('HVALS', P..'mbx')) do
  n = n + redis.call('ZCARD', P..'u:'..id)
  for _, b in ipairs(mb_delete(id)) do all[#all + 1] = b end
end
redis.call('DEL', P..'mbx', P..'subs', P..'quota', P..'lock', P..'tm', P..'dev', P..'settings', P..'md:S', P..'shared')  -- id counters stay: ids are never reused
publish('b', '', nextmodseq())
return cjson.encode({blobs=all, messages=n})
