"""Every Redis key name the metadata service uses, built in one place.

Invariant 3: every key of a user carries the hash tag ``{u:<id>}``, so each per-user script
touches one slot and Redis Cluster works unchanged. That rule lives here (:func:`user_prefix`);
the Lua scripts (services/metadata/lua/*.lua) receive the prefix P as ARGV[1] and append the
same suffixes.

Per user (P = "{u:<user_id>}:"):

  P mbx           hash   canonical mailbox name -> mailbox id
  P mbseq         string last mailbox id
  P uidv          string last UIDVALIDITY handed out
  P modseq        string last MODSEQ (per user, so it also strictly increases per mailbox)
  P quota         hash   used (bytes), messages
  P subs          set    subscribed names
  P idem:<key>    string JSON result of a Deliver/Append/Copy/Move (TTL)
  P lock, P locktok      POP3 maildrop lock (hash holder/token, TTL) and its fencing counter
  P dev           hash   ActiveSync device id -> JSON record (v version, first/last seen, t type,
                         ua user agent, w wipe requested, s state base64, i device information,
                         wa wipe acknowledged unix seconds); DevicesService
  P settings      string JSON UserSettings (out-of-office) set over ActiveSync; DevicesService
  P mb:<id>       hash   name special uidvalidity uidnext hms messages unseen size deleted recent xtrim
  P u:<id>        zset   uid -> uid (the sequence map)
  P kw:<id>       set    keywords ever used in the mailbox (at most MAX_KEYWORDS new ones admitted)
  P ms:<id>       zset   uid -> modseq (CHANGEDSINCE)
  P x:<id>        zset   expunged uid -> modseq (trimmed to a bound; xtrim = highest trimmed modseq)
  P un:<id>       zset   unseen uids;  P dl:<id> zset deleted uids;  P rc:<id> zset recent uids
  P m:<id>:<uid>  hash   f flags (space separated) d internal date s size b blob m modseq S summary
                         e EMAILID t THREADID (RFC 8474; absent on messages stored before ids)
                         v save date (RFC 8514, unix seconds; absent on messages stored before it)
  P emseq         string last EMAILID number ("E<n>"); P thrseq: last THREADID number ("T<n>").
                         Never reset (not even by a purge), so an id is never reused
  P tm            hash   sha256(Message-ID)[:24] -> "<THREADID> <sha256(base subject)[:16]>",
                         the first message with that Message-ID (threading at ingest)
  P md:<id>       hash   METADATA entry name (lower case, "/private/..." or "/shared/...") -> value of
                         mailbox <id> (RFC 5464); P md:S the same for the server's entries
  P acl:<id>      hash   grantee user id -> rights ("lrswipkxtea" subset) on mailbox <id> (RFC 4314); the
                         owner's entry is implicit (every right). The source of truth for access
  P shared        hash   "<owner id>:<mailbox id>" -> "" : mailboxes of other users shared with this
                         user, a hint written after the owner's ACL and verified against it on use
                         (docs/decisions/0017-acl-across-hash-slots.md). The ACL's grantee may also be
                         "anyone" or "authenticated": every user of the owner's domain
  P fl:<id>       hash   uid -> "<modseq> <flags>" (a copy of m's f and m, read by FETCH FLAGS in one
                         HMGET per 1,000 UIDs; a missing field falls back to the message hash)
  channel P ev    "<kind>|<mailbox id>|<modseq>" published by the scripts

Directory (no hash tag; plain keys): dom:<name>, domalias:<alias>, user:<id>, addr:<address key>,
users:<domain> and users (sets of user ids). Blobs: {b:<sha256>} (refs, zero, dead, and
i:<op> = an open intent's JSON {"t", "k", "u": {user: refs}}), the collector's gc:zero zset, the
open intents' gc:intents zset and the reconcile sweep's cursor gc:sweep (string, a blob id).
Per domain: {d:<domain>}:shared (set of "<owner id>:<mailbox id>", at most acl.MAX_DOMAIN_SHARED): mailboxes
whose ACL grants "anyone" / "authenticated", a hint like P shared, verified against the owner's ACL on use.
Rate limits: {l:<bucket>:<key>}:<window>; backoff keys: {bo:<bucket>:<key>}
(hash f = failures, u = blocked until, ms).

The outbound queue (T = "{outbound}:", one hash tag, so one slot: docs/decisions/0009):

  T seq           string last queue id (ids are decimal, ascending)
  T tok           string lease token counter (a token is "<id>.<n>")
  T due           zset   id -> unix ms when the entry is leasable: queued/next attempt, or lease expiry
  T all           zset   id -> id (queue order: the oldest entry first, for Stats)
  T e:<id>        hash   blob from by size ret envid queued attempt err r (recipients, JSON)
                         tok holder exp (the current lease) dtok (the token of the last Defer)
  T idem:<key>    hash   recipient -> queue id (Queue idempotency, TTL)
  T done:<id>     string the token that finished the entry (TTL: a retried Complete answers again)
"""

from __future__ import annotations

from dataclasses import dataclass


def user_prefix(user_id: str) -> str:
    """P: the prefix (and hash tag) of every key of the user."""
    return "{u:" + user_id + "}:"


@dataclass(frozen=True)
class UserKeys:
    """The keys of one user."""

    user_id: str

    @property
    def prefix(self) -> str:
        return user_prefix(self.user_id)

    @property
    def mbx(self) -> str:
        return self.prefix + "mbx"

    @property
    def devices(self) -> str:
        return self.prefix + "dev"

    @property
    def settings(self) -> str:
        return self.prefix + "settings"

    @property
    def subs(self) -> str:
        return self.prefix + "subs"

    @property
    def quota(self) -> str:
        return self.prefix + "quota"

    @property
    def events(self) -> str:
        return self.prefix + "ev"

    @property
    def thread_map(self) -> str:
        return self.prefix + "tm"

    def mailbox(self, mbid: str) -> str:
        return self.prefix + "mb:" + mbid

    def zset(self, kind: str, mbid: str) -> str:
        """A per-mailbox UID zset: kind u (all), un (unseen), dl (deleted), rc (recent), ms, x."""
        if kind not in ZSETS:
            raise ValueError(f"unknown per-mailbox zset {kind!r}")
        return self.prefix + kind + ":" + mbid

    def uids(self, mbid: str) -> str:
        return self.zset("u", mbid)

    def modseqs(self, mbid: str) -> str:
        return self.zset("ms", mbid)

    def expunged(self, mbid: str) -> str:
        return self.zset("x", mbid)

    def recent(self, mbid: str) -> str:
        return self.zset("rc", mbid)

    def annotations(self, mbid: str) -> str:
        """METADATA entries of a mailbox; "" = the server's (P md:S)."""
        return self.prefix + "md:" + (mbid or "S")

    def acl(self, mbid: str) -> str:
        return self.prefix + "acl:" + mbid

    @property
    def shared(self) -> str:
        return self.prefix + "shared"

    def keywords(self, mbid: str) -> str:
        return self.prefix + "kw:" + mbid

    def message(self, mbid: str, uid: int | str) -> str:
        return f"{self.prefix}m:{mbid}:{uid}"


ZSETS = frozenset({"u", "un", "dl", "rc", "ms", "x"})


def user(user_id: str) -> UserKeys:
    return UserKeys(user_id)


# -- directory -------------------------------------------------------------------------


def domain(name: str) -> str:
    return "dom:" + name


def domain_alias(name: str) -> str:
    return "domalias:" + name


def user_record(user_id: str) -> str:
    return "user:" + user_id


def address(address_key: str) -> str:
    return "addr:" + address_key


ALL_USERS = "users"


def domain_users(domain_name: str) -> str:
    return "users:" + domain_name


def domain_shared(domain_name: str) -> str:
    """Mailboxes shared with every user of the domain (ACL "anyone" / "authenticated"): a hint."""
    return "{d:" + domain_name + "}:shared"


# -- blobs, outbound queue, rate limits --------------------------------------------------

GC_ZERO = "gc:zero"
# "<blob id> <op>" -> start time: references taken before a commit and not yet settled (store.Intent)
GC_INTENTS = "gc:intents"
GC_SWEEP_CURSOR = "gc:sweep"  # the last blob id the reconcile sweep looked at ("" = start over)
OUTBOUND_TAG = "{outbound}"
OUTBOUND_PREFIX = OUTBOUND_TAG + ":"
OUTBOUND_SEQ = OUTBOUND_PREFIX + "seq"
OUTBOUND_DUE = OUTBOUND_PREFIX + "due"
OUTBOUND_ALL = OUTBOUND_PREFIX + "all"


def blob(blob_id: str) -> str:
    return "{b:" + blob_id + "}"


def outbound_idem(key: str) -> str:
    """Queue idempotency records: same slot as the queue."""
    return OUTBOUND_PREFIX + "idem:" + key


def outbound_entry(queue_id: str) -> str:
    return OUTBOUND_PREFIX + "e:" + queue_id


def outbound_done(queue_id: str) -> str:
    return OUTBOUND_PREFIX + "done:" + queue_id


def limit_base(bucket: str, key: str) -> str:
    """The prefix of a rate limit's window counters (one slot per bucket and key)."""
    return "{l:" + bucket + ":" + key + "}:"


def backoff(bucket: str, key: str) -> str:
    """The hash of one exponential backoff key (failures, blocked-until)."""
    return "{bo:" + bucket + ":" + key + "}"
