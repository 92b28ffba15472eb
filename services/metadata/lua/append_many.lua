-- ARGV: P "idem_key op" idem_ttl quota_limit mailbox n   (op: as in deliver.lua)
--       then n times: blob size idate summary flags own_msgid_hash subject_hash nrefs ref_hash*nrefs
-- IMAP MULTIAPPEND (RFC 3502): all n messages go into one mailbox or none does. Every check
-- (mailbox, quota for the sum, keyword room for the union) comes before the first write, and a
-- script runs atomically, so a refusal leaves nothing behind. UIDs in argument order.
local ikey, op = string.match(ARGV[2], '^(%S*) ?(%S*)$')
if ikey ~= '' then
  local prev = redis.call('GET', P..'idem:'..ikey)
  if prev then return prev end
end
local limit, name, n = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local id = redis.call('HGET', P..'mbx', name)
if not id then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
local items, total, pos = {}, 0, 7
for i = 1, n do
  local it = {blob=ARGV[pos], size=tonumber(ARGV[pos + 1]), idate=ARGV[pos + 2], summary=ARGV[pos + 3],
    fs=ARGV[pos + 4], own=ARGV[pos + 5], subj=ARGV[pos + 6], refs={}}
  local nref = tonumber(ARGV[pos + 7])
  for j = 1, nref do it.refs[j] = ARGV[pos + 7 + j] end
  pos = pos + 8 + nref
  total = total + it.size
  items[i] = it
end
if limit > 0 then
  local used = tonumber(redis.call('HGET', P..'quota', 'used') or '0')
  if used + total > limit then return err('QUOTA_EXCEEDED', 'over quota') end
end
local seen, new = {}, {}
for i = 1, n do kw_new(id, items[i].fs, seen, new) end
if #new > 0 and not kw_room(id, #new) then return err('KEYWORD_LIMIT', KW_FULL) end
local uv = tonumber(redis.call('HGET', P..'mb:'..id, 'uidvalidity'))
local out = {}
for i = 1, n do
  local it = items[i]
  local eid, tid = object_ids(it.own, it.subj, it.refs)
  local ms = nextmodseq()
  local uid = msg_insert(id, it.blob, it.size, it.idate, it.summary, it.fs, ms, eid, tid)
  out[i] = {id, uv, uid, ms, eid, tid}
  publish('m', id, ms)
end
local res = cjson.encode({ok=out})
if ikey ~= '' then redis.call('SET', P..'idem:'..ikey, cjson.encode({dup=out, op=op}), 'EX', tonumber(ARGV[3])) end
return res
