-- ActiveSync device record, compare-and-set on its version.
-- ARGV: P device_id expected_version record_json(without v/first/last) max_devices
local id, expected, rec, maxdev = ARGV[2], tonumber(ARGV[3]), cjson.decode(ARGV[4]), tonumber(ARGV[5])
local k = P..'dev'
local cur = redis.call('HGET', k, id)
local t = tonumber(redis.call('TIME')[1])
local first, version = t, 0
if cur then
  local old = cjson.decode(cur)
  version, first = old.v, old.first
end
if version ~= expected then
  return err('VERSION_CONFLICT', 'device '..id..' is at version '..version..', not '..expected)
end
if not cur and redis.call('HLEN', k) >= maxdev then
  return err('USER_LIMIT', 'too many devices')
end
rec.v, rec.first, rec.last = version + 1, first, t
local out = cjson.encode(rec)
redis.call('HSET', k, id, out)
return out
