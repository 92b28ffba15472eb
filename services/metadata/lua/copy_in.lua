-- ARGV: P dst_name quota_limit "idem_key op" idem_ttl n (src_uid flags idate blob size summary thread)*n
-- A COPY / MOVE from another user's mailbox into this user's (ACL, RFC 4314): the messages come
-- as data, read by the caller from the source user's slot (one slot per script, invariant 3).
-- Each gets a new EMAILID of this user, and one new THREADID per source thread. A retry under
-- idem_key returns the first result as {dup=...} without blobs (the caller releases the
-- references it took again); op as in deliver.lua (the GC pass reads it).
local name, limit, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[6])
local ikey, op = string.match(ARGV[4], '^(%S*) ?(%S*)$')
if ikey ~= '' then
  local prev = redis.call('GET', P..'idem:'..ikey)
  if prev then return prev end
end
local dst = redis.call('HGET', P..'mbx', name)
if not dst then return err('NO_SUCH_DESTINATION', 'no such destination mailbox') end
local total, kseen, knew = 0, {}, {}
for i = 0, n - 1 do
  local b = 7 + 7 * i
  total = total + tonumber(ARGV[b + 4])
  kw_new(dst, ARGV[b + 1], kseen, knew)
end
if #knew > 0 and not kw_room(dst, #knew) then return err('KEYWORD_LIMIT', KW_FULL) end
if limit > 0 then
  local used = tonumber(redis.call('HGET', P..'quota', 'used') or '0')
  if used + total > limit then return err('QUOTA_EXCEEDED', 'over quota') end
end
local srcs, dsts, blobs, threads = {}, {}, {}, {}
local ms = nil
for i = 0, n - 1 do
  local b = 7 + 7 * i
  if not ms then ms = nextmodseq() end
  local st = ARGV[b + 6]
  local tid = st ~= '' and threads[st] or nil
  local eid = 'E'..redis.call('INCR', P..'emseq')
  if not tid then
    tid = 'T'..redis.call('INCR', P..'thrseq')
    if st ~= '' then threads[st] = tid end
  end
  local uid = msg_insert(dst, ARGV[b + 3], tonumber(ARGV[b + 4]), ARGV[b + 2], ARGV[b + 5], ARGV[b + 1], ms, eid, tid)
  srcs[#srcs + 1] = tonumber(ARGV[b]); dsts[#dsts + 1] = uid; blobs[#blobs + 1] = ARGV[b + 3]
end
if ms then publish('m', dst, ms) end
local uv = tonumber(redis.call('HGET', P..'mb:'..dst, 'uidvalidity'))
if ikey ~= '' then
  local first = {uidvalidity=uv, src=srcs, dst=dsts}
  redis.call('SET', P..'idem:'..ikey, cjson.encode({dup=first, op=op}), 'EX', tonumber(ARGV[5]))
end
return cjson.encode({uidvalidity=uv, src=srcs, dst=dsts, blobs=blobs})
