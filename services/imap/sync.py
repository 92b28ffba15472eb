"""Keeping the selected mailbox in step with changes made elsewhere: EXISTS / EXPUNGE /
VANISHED / FETCH FLAGS since the session's HIGHESTMODSEQ, \\Recent, FLAGS and PERMANENTFLAGS.

MailboxSync is mixed into services.imap.session.Session, which provides the connection state
and output declared abstract here."""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod

import grpc

from services.common.grpcclient import MetadataClient, reason_of
from services.common.listing import all_changes
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.imap import contexts
from services.imap.config import ImapConfig
from services.imap.flags import SYSTEM_FLAGS
from services.imap.grammar import LOGOUT
from services.imap.selected import Selected, compress


class MailboxSync(ABC):
    cfg: ImapConfig
    md: MetadataClient
    state: str
    sel: Selected | None
    condstore: bool
    changed: asyncio.Event | None
    # what set `changed` since the last re-read: the highest modseq of the selected mailbox's
    # change events, or something else (feed_unknown: HELLO, a cut stream, a forced re-read)
    feed_modseq: int
    feed_unknown: bool
    last_sync: float
    # uids announced by EXISTS since NOTIFY last sent their MessageNew FETCH (None: not asked)
    notify_new: list[int] | None

    @property
    @abstractmethod
    def rev2(self) -> bool: ...

    @property
    @abstractmethod
    def qresync(self) -> bool: ...

    @property
    @abstractmethod
    def user_id(self) -> str: ...

    @abstractmethod
    def untagged(self, text: bytes | str) -> None: ...

    async def sync(self, allow_expunge: bool = True, force: bool = False) -> None:
        """Sends EXISTS / EXPUNGE / FETCH for changes since the session's HIGHESTMODSEQ."""
        sel = self.sel
        if sel is None:
            return
        now = time.monotonic()
        dirty = self.changed is None or self.changed.is_set()
        if dirty and self.changed is not None and not self.feed_unknown and self.feed_modseq <= sel.highest_modseq:
            # woken only by events of changes the session has seen (its own STORE, say)
            self.changed.clear()
            dirty = False
        if not (force or dirty or now - self.last_sync >= self.cfg.poll_interval or sel.ghosts):
            return
        if self.changed is not None:
            self.changed.clear()
        self.feed_unknown, self.feed_modseq = False, 0
        self.last_sync = now
        try:
            resp = await all_changes(self.md, sel.owner, sel.mailbox_id, sel.highest_modseq)
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) == er.ERROR_REASON_NO_SUCH_MAILBOX:
                self.untagged("BYE Selected mailbox was deleted")
                self.state = LOGOUT
                return
            raise
        if sel is not self.sel:
            return
        expunged = [u for u in resp.expunged if sel.contains(u)]
        if not resp.expunged_complete and resp.highest_modseq > sel.highest_modseq:
            listed = await self.md.messages.ListUids(
                messages_pb.ListUidsRequest(user_id=sel.owner, mailbox_id=sel.mailbox_id)
            )
            present = set(listed.uids)
            expunged = sorted(set(expunged) | {u for u in sel.uids if u not in present})
        sel.ghosts.update(expunged)
        if allow_expunge and sel.ghosts:
            self.announce_expunges(sorted(sel.ghosts))
        top = sel.uids[-1] if sel.uids else 0
        new = [m.uid for m in resp.changed if m.uid > top and m.uid not in sel.ghosts]
        expunged_set = set(resp.expunged)
        new = [u for u in new if u not in expunged_set]
        for m in resp.changed:
            if m.uid > top or m.uid in sel.ghosts:
                continue
            seq = sel.seq_of(m.uid)
            if seq is None or sel.reported.get(m.uid, 0) >= m.modseq:
                continue
            sel.reported[m.uid] = m.modseq
            self.send_flags(seq, m.uid, list(m.flags), m.modseq)
        if new:
            await self.arrived(sel, new, [(m.uid, m.modseq, list(m.flags)) for m in resp.changed if m.uid > top])
        if sel.contexts:  # RFC 5267 4.3: SEARCH RETURN (UPDATE) results follow the changes
            touched = [m.uid for m in resp.changed if m.uid not in sel.ghosts]
            await contexts.changes(self.md, self.user_id, sel, touched, self.untagged)
        if resp.uidnext:
            sel.uidnext = max(sel.uidnext, resp.uidnext)
        # the mailbox counter is read before the change index: never step back behind what we saw
        seen = max((m.modseq for m in resp.changed), default=0)
        sel.highest_modseq = max(sel.highest_modseq, resp.highest_modseq, seen)

    async def arrived(self, sel: Selected, new: list[int], metas: list[tuple[int, int, list[str]]]) -> None:
        """New messages in the selected mailbox (`new`: their uids, ascending; `metas`: uid,
        modseq, flags of each): EXISTS (and RECENT), their \\Recent claimed."""
        for uid, modseq, flags in metas:
            sel.reported[uid] = modseq
            # a keyword that arrived with a new message (APPEND here or elsewhere):
            # FLAGS / PERMANENTFLAGS now, not at the client's next look at its flags
            self.announce_keywords(flags)
        sel.add(new)
        if self.notify_new is not None:
            self.notify_new.extend(new)
        mine = sel.claimed.intersection(new)  # appended by this session: claimed with the APPEND
        sel.recent.update(mine)
        sel.claimed.difference_update(mine)
        if len(mine) < len(new):
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self.load_recent(sel)
        self.untagged(f"{sel.exists} EXISTS")
        if not self.rev2:
            self.untagged(f"{len(sel.recent)} RECENT")

    def caught_up(self, mailbox_id: str, prior: int, modseq: int) -> bool:
        """After this session's own change of mailbox `mailbox_id` (STORE, EXPUNGE, APPEND), which
        took the mailbox from HIGHESTMODSEQ `prior` to `modseq`: when it is the selected mailbox
        and `prior` is what the session had seen, nothing else happened in between and the view
        is current at `modseq` without a re-read (True). Otherwise the next sync re-reads."""
        sel = self.sel
        if sel is None or sel.mailbox_id != mailbox_id or not modseq:
            return False
        # (SEARCH RETURN (UPDATE) contexts learn of changes from the re-read: not skipped then)
        if prior and prior == sel.highest_modseq and not sel.contexts:
            sel.highest_modseq = max(sel.highest_modseq, modseq)
            return True
        if modseq > sel.highest_modseq:
            self.resync()
        return False

    def resync(self) -> None:
        """The next command (or a waiting IDLE) re-reads the selected mailbox's changes."""
        self.feed_unknown = True
        if self.changed is not None:
            self.changed.set()

    def wants(self, event: changes_pb.ChangeEvent | None) -> bool:
        """services.common.watch's filter of `changed`: an event of another mailbox does not wake
        the session; one of the selected mailbox is remembered by its modseq, so the next sync
        skips the re-read when the session has seen that change by then (its own STORE, whose
        event may arrive before the STORE's answer). None: HELLO or a cut stream."""
        sel = self.sel
        if event is None or sel is None or event.kind != changes_pb.ChangeEvent.KIND_MESSAGES or not event.modseq:
            self.feed_unknown = True
            return True
        if event.mailbox_id != sel.mailbox_id:
            return False
        self.feed_modseq = max(self.feed_modseq, event.modseq)
        return True

    async def load_recent(self, sel: Selected) -> None:
        """\\Recent of the selected mailbox: SELECT claims the unclaimed messages (first session
        wins); EXAMINE only looks at them (RFC 3501 6.3.2: same output, \\Recent left alone)."""
        if sel.readonly:
            resp = await self.md.messages.Search(
                messages_pb.SearchRequest(
                    user_id=sel.owner,
                    mailbox_id=sel.mailbox_id,
                    key=messages_pb.SearchKey(recent=True),
                    skip_highest_modseq=True,
                )
            )
            sel.recent = set(sel.known(resp.uids))
            return
        # only what this session knows: a message that arrived after its last look stays
        # unclaimed until a sync reports it (here or in another session), never lost between
        below = (sel.uids[-1] if sel.uids else 0) + 1
        req = messages_pb.ClaimRecentRequest(user_id=sel.owner, mailbox_id=sel.mailbox_id, below_uid=below)
        claim = await self.md.messages.ClaimRecent(req)
        sel.recent.update(u for u in claim.uids if sel.contains(u))

    def announce_expunges(self, uids: list[int]) -> None:
        """EXPUNGE (or VANISHED) for messages gone from the selected mailbox; then, for an
        IMAP4rev1 session, RECENT, since the mailbox size changed (RFC 3501 7.3.2)."""
        sel = self.sel
        assert sel is not None
        gone = [u for u in uids if sel.contains(u)]
        if sel.contexts:  # RFC 5267 4.3: before the EXPUNGE that renumbers
            contexts.removals(sel, gone, self.untagged)
        if self.qresync:
            for u in gone:
                sel.remove(u)
            if gone:
                self.untagged(f"VANISHED {compress(gone)}")
        else:
            for u in sorted(gone, reverse=True):
                seq = sel.remove(u)
                if seq is not None:
                    self.untagged(f"{seq} EXPUNGE")
        for u in uids:
            sel.ghosts.discard(u)
        if gone and not self.rev2:
            self.untagged(f"{len(sel.recent)} RECENT")

    def send_flags(self, seq: int, uid: int, flags: list[str], modseq: int) -> None:
        items = [f"UID {uid}", "FLAGS (" + " ".join(self.visible_flags(uid, flags)) + ")"]
        if self.condstore:
            items.append(f"MODSEQ ({modseq})")
        self.untagged(f"{seq} FETCH (" + " ".join(items) + ")")

    def enable_condstore(self) -> None:
        """A CONDSTORE-enabling command (RFC 7162 3.1): from now on MODSEQ goes with FETCH. The
        first one in a mailbox selected without CONDSTORE is preceded by its HIGHESTMODSEQ
        (`* OK [HIGHESTMODSEQ n]`), which the client did not get from SELECT."""
        if self.condstore:
            return
        self.condstore = True
        if self.sel is not None:
            self.untagged(f"OK [HIGHESTMODSEQ {self.sel.highest_modseq}] Highest")

    def announce_keywords(self, flags: list[str]) -> None:
        """Sends FLAGS (and PERMANENTFLAGS) again when a keyword not yet announced shows up."""
        sel = self.sel
        if sel is None:
            return
        new = [f for f in flags if not f.startswith("\\") and f not in sel.keywords]
        if not new:
            return
        sel.keywords.update(new)
        self.announce_flags(permanent=not sel.readonly)

    def announce_flags(self, flags: bool = True, permanent: bool = True) -> None:
        """FLAGS and/or PERMANENTFLAGS for the selected mailbox; `\\*` only while new keywords
        fit in the mailbox's keyword list (RFC 3501 7.2.6; decision 0006)."""
        sel = self.sel
        assert sel is not None
        allf = " ".join([*SYSTEM_FLAGS, *sorted(sel.keywords)])
        if flags:
            self.untagged(f"FLAGS ({allf})")
        if permanent:
            perm = "()" if sel.readonly else "(" + allf + ("" if sel.keywords_full else " \\*") + ")"
            self.untagged(f"OK [PERMANENTFLAGS {perm}] Flags permitted")

    def visible_flags(self, uid: int, flags: list[str]) -> list[str]:
        self.announce_keywords(flags)
        out = list(flags)
        if self.sel is not None and uid in self.sel.recent and not self.rev2:
            out.append("\\Recent")
        return out

    async def idle_wait(self, timeout: float) -> bool:
        """Waits for a change notification; True if one arrived."""
        if self.changed is None:
            await asyncio.sleep(timeout)
            return False
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
            return True
        except TimeoutError:
            return False
