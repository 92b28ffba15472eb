-- Read-only. ARGV: P by(i|n) mailbox-id-or-name keywords(0|1)
-- One mailbox in one round trip (GetMailbox, CreateMailbox, RenameMailbox): by id or by name,
-- {mailbox id, HGETALL of its hash, subscribed 0|1, keywords (when asked)} or an error JSON string.
local mbid, h, sub, kws = mbx_read(ARGV[2], ARGV[3], ARGV[4] == '1')
if not mbid then return err('NO_SUCH_MAILBOX', 'no such mailbox') end
return {mbid, h, sub, kws}
