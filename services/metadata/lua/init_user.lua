-- ARGV: P (name special)*   creates the missing ones, subscribes them
local made = 0
for i = 2, #ARGV, 2 do
  if not redis.call('HGET', P..'mbx', ARGV[i]) then
    mb_create(ARGV[i], ARGV[i + 1]); made = made + 1
  end
  redis.call('SADD', P..'subs', ARGV[i])
end
if made > 0 then publish('b', '', redis.call('GET', P..'modseq')) end
return cjson.encode({created=made})
