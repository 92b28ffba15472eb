-- ARGV: P src_mbid dst_name move(0|1) quota_limit xlimit "idem_key op" idem_ttl uid*
-- (explicit uids, resolved by the caller). A retry under idem_key returns the first result
-- as {dup=...} without blobs, so the caller releases the references it took again.
local src, move, limit, xlimit = ARGV[2], ARGV[4] == '1', tonumber(ARGV[5]), tonumber(ARGV[6])
local ikey, op = string.match(ARGV[7], '^(%S*) ?(%S*)$')  -- op: as in deliver.lua
if ikey ~= '' then
  local prev = redis.call('GET', P..'idem:'..ikey)
  if prev then return prev end
end
if redis.call('EXISTS', P..'mb:'..src) == 0 then return err('NO_SUCH_MAILBOX', 'no such source mailbox') end
local dst = redis.call('HGET', P..'mbx', ARGV[3])
if not dst then return err('NO_SUCH_DESTINATION', 'no such destination mailbox') end
local rows, total = {}, 0
for i = 9, #ARGV do
  local uid = tonumber(ARGV[i])
  local v = redis.call('HMGET', P..'m:'..src..':'..uid, 'f', 'd', 's', 'b', 'S', 'e', 't')
  if v[3] then rows[#rows + 1] = {uid, v}; total = total + tonumber(v[3]) end
end
local kseen, knew = {}, {}
for _, row in ipairs(rows) do kw_new(dst, row[2][1] or '', kseen, knew) end
if #knew > 0 and not kw_room(dst, #knew) then return err('KEYWORD_LIMIT', KW_FULL) end
if not move and limit > 0 then
  local used = tonumber(redis.call('HGET', P..'quota', 'used') or '0')
  if used + total > limit then return err('QUOTA_EXCEEDED', 'over quota') end
end
local srcs, dsts, sblobs = {}, {}, {}
local dms, sms = nil, nil
for _, row in ipairs(rows) do
  local v = row[2]
  if not dms then dms = nextmodseq() end
  local nu = msg_insert(dst, v[4], tonumber(v[3]), v[2], v[5], v[1], dms, v[6], v[7])
  srcs[#srcs + 1] = row[1]; dsts[#dsts + 1] = nu; sblobs[#sblobs + 1] = v[4]
end
if dms then publish('m', dst, dms) end
if move and #rows > 0 then
  sms = nextmodseq()
  for _, row in ipairs(rows) do msg_remove(src, row[1], sms, xlimit) end
  redis.call('HSET', P..'mb:'..src, 'hms', sms)
  publish('m', src, sms)
end
local uv = tonumber(redis.call('HGET', P..'mb:'..dst, 'uidvalidity'))
local hms = tonumber(redis.call('HGET', P..'mb:'..src, 'hms'))
if ikey ~= '' then
  local first = {uidvalidity=uv, src=srcs, dst=dsts, modseq=hms}
  redis.call('SET', P..'idem:'..ikey, cjson.encode({dup=first, op=op}), 'EX', tonumber(ARGV[8]))
end
return cjson.encode({uidvalidity=uv, src=srcs, dst=dsts, blobs=sblobs, modseq=hms})
