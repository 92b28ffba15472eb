-- ARGV: P mbid fencing_token only_deleted xlimit lo hi ...  (no ranges = every \Deleted)
local mbid, token, only_del, xlimit = ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
local mb = P..'mb:'..mbid
if redis.call('EXISTS', mb) == 0 then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
if token > 0 then
  local cur = redis.call('HGET', P..'lock', 'token')
  if not cur or tonumber(cur) ~= token then return err('LEASE_LOST', 'maildrop lock lost (fencing token)') end
end
local uids
if #ARGV < 6 then
  uids = {}
  for _, u in ipairs(redis.call('ZRANGE', P..'dl:'..mbid, 0, -1)) do uids[#uids + 1] = tonumber(u) end
else
  uids = resolve(mbid, 6)
end
local gone, blobs, ms = {}, {}, nil
-- the mailbox's modseq before this expunge: a session that saw exactly it needs no re-read
local prior = tonumber(redis.call('HGET', mb, 'hms'))
for _, uid in ipairs(uids) do
  local ok = true
  if only_del then ok = redis.call('ZSCORE', P..'dl:'..mbid, uid) ~= false end
  if ok then
    if not ms then ms = nextmodseq() end
    local r = msg_remove(mbid, uid, ms, xlimit)
    if r then gone[#gone + 1] = uid; blobs[#blobs + 1] = r[2] end
  end
end
if ms then redis.call('HSET', mb, 'hms', ms); publish('m', mbid, ms) else prior = 0 end
local hms = tonumber(redis.call('HGET', mb, 'hms'))
return cjson.encode({expunged=gone, blobs=blobs, modseq=hms, prior=prior})
