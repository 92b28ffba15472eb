-- RFC 8474 object ids of one new message (included by deliver and append_many): one EMAILID,
-- and the THREADID of the known message it names (its own Message-ID hash `own`, then its
-- references `refs`, most recent first) whose base subject hash is `subj`; else a new thread.
-- Only earlier messages are looked at; the message's own Message-ID is recorded for later ones.
local function object_ids(own, subj, refs)
  local tm = P..'tm'
  local function thread_of(h)
    local t = redis.call('HGET', tm, h)
    if not t then return nil end
    local sp = string.find(t, ' ', 1, true)
    if sp and string.sub(t, sp + 1) == subj then return string.sub(t, 1, sp - 1) end
    return nil
  end
  local tid = nil
  if own ~= '' then tid = thread_of(own) end
  for i = #refs, 1, -1 do
    if tid then break end
    tid = thread_of(refs[i])
  end
  if not tid then tid = 'T'..redis.call('INCR', P..'thrseq') end
  local eid = 'E'..redis.call('INCR', P..'emseq')
  if own ~= '' then redis.call('HSETNX', tm, own, tid..' '..subj) end
  return eid, tid
end
