-- Queue: one entry with per-recipient idempotency. KEYS[1] = T seq. ARGV: T, idem key ("" for
-- none; "{outbound}:idem:<key>", same slot), idem ttl, n, then n triples address/notify/orcpt,
-- then blob, from, by, size, ret, envid, op. Returns the queue id, or "=<id>" when every recipient
-- was already queued under the key (nothing added). op is the caller's id of this attempt: one that
-- adds an entry leaves "#op:<op>" in the idem hash, from which the GC pass tells whether an attempt
-- that crashed before settling its blob reference committed (services/metadata/gc.py).
local idem, ttl, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local fresh, first = {}, nil
for i = 0, n - 1 do
  local a = ARGV[5 + 3 * i]
  local q = idem ~= '' and redis.call('HGET', idem, a)
  if q then first = first or q
  else fresh[#fresh + 1] = {a=a, s=1, n=0, rp='', no=ARGV[6 + 3 * i], oc=ARGV[7 + 3 * i]} end
end
if #fresh == 0 then return '=' .. first end
local b = 5 + 3 * n
local id = tostring(redis.call('INCR', KEYS[1]))
local now = now_ms()
redis.call('HSET', T..'e:'..id, 'blob', ARGV[b], 'from', ARGV[b + 1], 'by', ARGV[b + 2], 'size', ARGV[b + 3],
  'ret', ARGV[b + 4], 'envid', ARGV[b + 5], 'queued', math.floor(now / 1000), 'attempt', 0, 'err', '',
  'r', cjson.encode(fresh))
redis.call('ZADD', T..'due', now, id)
redis.call('ZADD', T..'all', tonumber(id), id)
if idem ~= '' then
  for _, r in ipairs(fresh) do redis.call('HSET', idem, r.a, id) end
  local op = ARGV[b + 6] or ''
  if op ~= '' then redis.call('HSET', idem, '#op:'..op, id) end
  redis.call('EXPIRE', idem, ttl)
end
return id
