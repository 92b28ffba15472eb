-- ARGV: P idem_key idem_ttl blob size idate summary quota_limit strict n (name flags)*n
local ikey = ARGV[2]
if ikey ~= '' then
  local prev = redis.call('GET', P..'idem:'..ikey)
  if prev then return prev end
end
local size, limit, strict, n = tonumber(ARGV[5]), tonumber(ARGV[8]), ARGV[9] == '1', tonumber(ARGV[10])
if limit > 0 then
  local used = tonumber(redis.call('HGET', P..'quota', 'used') or '0')
  if used + size * n > limit then return err('QUOTA_EXCEEDED', 'over quota') end
end
local ids = {}
for i = 1, n do
  local name = ARGV[9 + 2 * i]
  local id = redis.call('HGET', P..'mbx', name)
  if not id then
    if strict then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
    id = redis.call('HGET', P..'mbx', 'INBOX')
    if not id then return err('NO_SUCH_MAILBOX', 'user has no INBOX') end
  end
  ids[i] = id
end
local fss = {}
for i = 1, n do
  local fs = ARGV[10 + 2 * i]
  if fs ~= '' then
    if strict then
      -- Append (one target): refuse before anything is written
      if not kw_room(ids[i], #kw_new(ids[i], fs, {}, {})) then return err('KEYWORD_LIMIT', KW_FULL) end
    else
      fs = kw_fit(ids[i], fs)
    end
  end
  fss[i] = fs
end
local out = {}
for i = 1, n do
  local ms = nextmodseq()
  local uid = msg_insert(ids[i], ARGV[4], size, ARGV[6], ARGV[7], fss[i], ms)
  local uv = tonumber(redis.call('HGET', P..'mb:'..ids[i], 'uidvalidity'))
  out[i] = {ids[i], uv, uid, ms}
  publish('m', ids[i], ms)
end
local res = cjson.encode({ok=out})
if ikey ~= '' then redis.call('SET', P..'idem:'..ikey, cjson.encode({dup=out}), 'EX', tonumber(ARGV[3])) end
return res
