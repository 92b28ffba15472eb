local n = redis.call('HINCRBY', KEYS[1], 'refs', -tonumber(ARGV[1]))
if n <= 0 then
  redis.call('HSET', KEYS[1], 'refs', 0, 'zero', ARGV[2])
  return 0
end
return n
