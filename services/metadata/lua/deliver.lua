-- ARGV: P "idem_key op" idem_ttl blob size idate summary quota_limit strict n (name flags)*n
--       own_msgid_hash subject_hash nrefs ref_hash*nrefs   (threading, RFC 8474 THREADID)
-- One EMAILID for the message (all its targets in this user), one THREADID (object_ids.lua).
-- op: the caller's id of this attempt, kept in the idempotency record: the GC pass tells from it
-- whether an attempt that crashed before settling its blob references committed (gc.py)
local ikey, op = string.match(ARGV[2], '^(%S*) ?(%S*)$')
if ikey ~= '' then
  local prev = redis.call('GET', P..'idem:'..ikey)
  if prev then return prev end
end
-- ARGV[9], the mode: '0' Deliver, '1' Append (one target, strict), '2' Append whose message is
-- \Recent for the caller already (not left in the unclaimed set)
local size, limit, strict, n = tonumber(ARGV[5]), tonumber(ARGV[8]), ARGV[9] ~= '0', tonumber(ARGV[10])
local claimed = ARGV[9] == '2'
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
local tb = 10 + 2 * n
local own, subj, nref = ARGV[tb + 1] or '', ARGV[tb + 2] or '', tonumber(ARGV[tb + 3] or '0')
local refs = {}
for i = 1, nref do refs[i] = ARGV[tb + 3 + i] end
local eid, tid = object_ids(own, subj, refs)
local out = {}
for i = 1, n do
  -- the mailbox's modseq before this copy: a session whose view was at it may move to ms (kept
  -- in the idempotency record too: true of this commit whenever the answer is read)
  local prior = tonumber(redis.call('HGET', P..'mb:'..ids[i], 'hms'))
  local ms = nextmodseq()
  local uid = msg_insert(ids[i], ARGV[4], size, ARGV[6], ARGV[7], fss[i], ms, eid, tid)
  if claimed and redis.call('ZREM', P..'rc:'..ids[i], uid) == 1 then
    redis.call('HINCRBY', P..'mb:'..ids[i], 'recent', -1)
  end
  local uv = tonumber(redis.call('HGET', P..'mb:'..ids[i], 'uidvalidity'))
  out[i] = {ids[i], uv, uid, ms, eid, tid, prior}
  publish('m', ids[i], ms)
end
local res = cjson.encode({ok=out})
if ikey ~= '' then redis.call('SET', P..'idem:'..ikey, cjson.encode({dup=out, op=op}), 'EX', tonumber(ARGV[3])) end
return res
