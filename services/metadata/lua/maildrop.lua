-- Maildrop lock. ARGV: P op(acquire|refresh|release) holder ttl token
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
