if redis.call('HGET', KEYS[1], 'dead') == '1' then redis.call('DEL', KEYS[1]) return 1 end
return 0
