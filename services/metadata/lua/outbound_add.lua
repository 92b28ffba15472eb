-- Outbound queue with per-recipient idempotency. KEYS[1] the stream "outbound", KEYS[2]
-- "{outbound}:idem:<key>" (same slot: its hash tag is the stream's name) or "" for none.
-- ARGV: ttl, n_recipients, recipients..., then field/value pairs. Returns the queue id, or
-- "=<id>" when every recipient was already queued under the key (nothing added).
local ttl, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local idem = KEYS[2]
local fresh, first = {}, nil
for i = 3, 2 + n do
  local r = ARGV[i]
  local seen = false
  if idem ~= '' then
    local q = redis.call('HGET', idem, r)
    if q then seen = true; first = first or q end
  end
  if not seen then fresh[#fresh + 1] = r end
end
if #fresh == 0 then return '=' .. first end
local args = {KEYS[1], '*', 'recipients', table.concat(fresh, ',')}
for i = 3 + n, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
if idem ~= '' then
  for _, r in ipairs(fresh) do redis.call('HSET', idem, r, id) end
  redis.call('EXPIRE', idem, ttl)
end
return id
