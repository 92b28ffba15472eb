"""One IMAP connection: reads commands through the Receiver, dispatches them from the
handler table, writes responses, and keeps the selected mailbox in step with changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import grpc

from services.common.blobstore import BlobError, BlobStore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient, reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import metadata_pb2 as pb
from services.imap import metrics, reasons, wire
from services.imap.config import ImapConfig
from services.imap.grammar import AUTH, COMMANDS, NONAUTH, Command
from services.imap.names import NameError_
from services.imap.receiver import Bad, Continue, Fatal, Limits, Receiver
from services.imap.selected import BadSequenceError, Selected, keyword_spellings
from services.imap.watch import WatchHub

log = logging.getLogger("kubemail.imap")

LOGOUT = "logout"
SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
_SYSTEM_BY_UPPER = {f.upper(): f for f in SYSTEM_FLAGS}


@dataclass
class Result:
    status: str = "OK"  # OK NO BAD
    text: str = "Completed"
    code: str | None = None


class CommandError(Exception):
    def __init__(self, status: str, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.result = Result(status, text, code)


class Silent(Exception):  # noqa: N818
    """The handler already sent its tagged reply."""


def no(text: str, code: str | None = None) -> CommandError:
    return CommandError("NO", text, code)


def bad(text: str, code: str | None = None) -> CommandError:
    return CommandError("BAD", text, code)


@dataclass
class ServerContext:
    """Everything sessions of one process share."""

    cfg: ImapConfig
    common: CommonConfig
    md: MetadataClient
    blobs: BlobStore
    hub: WatchHub
    auth: Any = None  # services.common.auth.Authenticator
    tls: Any = None  # ReloadingTLS | None
    trusted: tuple[Any, ...] = ()
    sessions: set[Session] = field(default_factory=set)
    closing: bool = False


def norm_flag(flag: str) -> str:
    if flag.startswith("\\"):
        f = _SYSTEM_BY_UPPER.get(flag.upper())
        if f is None:
            raise bad(f"Unknown system flag {flag}")
        return f
    return flag


def norm_flags(flags: list[str], known: Collection[str] = ()) -> list[str]:
    """Flags of a STORE/APPEND: system flags canonical, keywords spelled as the mailbox already
    spells them (first known spelling), duplicates dropped case-insensitively, order kept."""
    out: list[str] = []
    seen: set[str] = set()
    for f in flags:
        nf = norm_flag(f)
        if not nf.startswith("\\"):
            nf = keyword_spellings(nf, known)[0]
        key = nf.casefold()
        if key not in seen:
            seen.add(key)
            out.append(nf)
    return out


def is_keyword_limit(exc: grpc.aio.AioRpcError) -> bool:
    return reason_of(exc) == er.KEYWORD_LIMIT


class Session:
    def __init__(self, ctx: ServerContext, conn: Any) -> None:
        """`conn` is a services.common.listener.Connection (or anything shaped like it)."""
        self.ctx = ctx
        self.cfg = ctx.cfg
        self.md = ctx.md
        self.conn = conn
        self.reader: asyncio.StreamReader = conn.reader
        self.writer: asyncio.StreamWriter = conn.writer
        self.remote_ip: str = conn.remote_ip
        self.tls_active: bool = conn.tls_active
        self.trusted: bool = bool(conn.trusted)
        self.state = NONAUTH
        self.user: pb.User | None = None
        self.sel: Selected | None = None
        self.enabled: set[str] = set()
        self.condstore = False
        self.rx = Receiver(
            Limits(
                max_line=ctx.cfg.max_line,
                max_literal=ctx.cfg.append_limit,
                max_command=ctx.cfg.append_limit + ctx.cfg.max_line * 4,
            )
        )
        self.id = uuid.uuid4().hex[:12]
        self.changed: asyncio.Event | None = None
        self.last_sync = 0.0
        self.bad_count = 0
        self._deadline: float | None = None  # of the command being received (see _remaining)
        self._out: list[bytes] = []
        self._out_size = 0

    # -- properties -----------------------------------------------------------------
    @property
    def utf8(self) -> bool:
        return "IMAP4REV2" in self.enabled or "UTF8=ACCEPT" in self.enabled

    @property
    def rev2(self) -> bool:
        return "IMAP4REV2" in self.enabled

    @property
    def qresync(self) -> bool:
        return "QRESYNC" in self.enabled

    @property
    def user_id(self) -> str:
        assert self.user is not None
        return self.user.id

    def login_allowed(self) -> bool:
        return self.tls_active or self.trusted

    def capabilities(self) -> str:
        caps = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE"]
        if self.state == NONAUTH:
            if not self.tls_active and self.ctx.tls is not None:
                caps.append("STARTTLS")
            if self.login_allowed():
                caps += ["AUTH=PLAIN", "AUTH=LOGIN"]
            else:
                caps.append("LOGINDISABLED")
            return " ".join(caps)
        caps += [
            "NAMESPACE",
            "UIDPLUS",
            "MOVE",
            "UNSELECT",
            "CHILDREN",
            "SPECIAL-USE",
            "CREATE-SPECIAL-USE",
            "LIST-EXTENDED",
            "LIST-STATUS",
            "ESEARCH",
            "SEARCHRES",
            "WITHIN",
            "CONDSTORE",
            "QRESYNC",
            "QUOTA",
            "QUOTA=RES-STORAGE",
            f"APPENDLIMIT={self.cfg.append_limit}",
            "STATUS=SIZE",
            "UTF8=ACCEPT",
            "BINARY",
        ]
        return " ".join(caps)

    # -- output ---------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        self._out.append(data)
        self._out_size += len(data)

    def untagged(self, text: bytes | str) -> None:
        self.send(wire.untagged(text))

    async def flush(self) -> None:
        if self._out:
            data = b"".join(self._out)
            self._out.clear()
            self._out_size = 0
            self.writer.write(data)
        await self.writer.drain()

    async def maybe_flush(self) -> None:
        if self._out_size >= 256 * 1024:
            await self.flush()

    # -- main loop ------------------------------------------------------------------
    async def run(self) -> None:
        metrics.CONNECTIONS.inc()
        self.ctx.sessions.add(self)
        try:
            self.untagged(f"OK [CAPABILITY {self.capabilities()}] {self.ctx.common.hostname} IMAP ready")
            await self.flush()
            await self._loop()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError):
            pass
        finally:
            metrics.CONNECTIONS.dec()
            self.ctx.sessions.discard(self)
            self._unwatch()
            with contextlib.suppress(Exception):
                self.writer.close()
                await asyncio.wait_for(self.writer.wait_closed(), 2)

    def _timeout(self) -> float:
        return self.cfg.idle_timeout if self.state != NONAUTH else self.cfg.auth_timeout

    def _remaining(self) -> float:
        """Seconds left to read: a whole command must arrive within the timeout, so a client
        trickling bytes without ever finishing a line is logged out like an idle one."""
        now = asyncio.get_running_loop().time()
        if self._deadline is None or not self.rx.partial():
            self._deadline = now + self._timeout()
        return max(0.0, self._deadline - now)

    async def read_more(self) -> bool:
        """Reads the next chunk into the receiver; False on EOF. Autologout on timeout."""
        draining: asyncio.Event | None = getattr(self.conn, "draining", None)
        read = asyncio.ensure_future(self.reader.read(65536))
        waits: set[asyncio.Future[Any]] = {read}
        drain = asyncio.ensure_future(draining.wait()) if draining is not None else None
        if drain is not None:
            waits.add(drain)
        try:
            done, _ = await asyncio.wait(waits, timeout=self._remaining(), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if drain is not None:
                drain.cancel()
        if read not in done:
            read.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await read
            if drain is not None and drain in done:
                self.untagged("BYE Server shutting down")
            else:
                self.untagged("BYE Autologout; idle for too long")
            await self.flush()
            return False
        data = read.result()
        if not data:
            return False
        self.rx.feed(data)
        return True

    async def _loop(self) -> None:
        while self.state != LOGOUT:
            if self.ctx.closing and not self.rx.in_command():
                self.untagged("BYE Server shutting down")
                await self.flush()
                return
            ev = self.rx.next()
            if ev is None:
                await self.flush()
                if not await self.read_more():
                    return
                continue
            if isinstance(ev, Continue):
                self.send(wire.cont(ev.text))
                await self.flush()
            elif isinstance(ev, Bad):
                self.bad_count += 1
                if ev.tag == "*":
                    self.untagged(f"BAD {ev.text}")
                else:
                    self.send(wire.tagged(ev.tag, ev.status, ev.text, ev.code))
                metrics.COMMANDS.labels("invalid", "bad").inc()
                if self.bad_count > self.cfg.max_bad_commands:
                    self.untagged("BYE Too many invalid commands")
                    await self.flush()
                    return
            elif isinstance(ev, Fatal):
                self.untagged(f"BYE {ev.text}")
                await self.flush()
                return
            else:
                await self.execute(ev)

    async def execute(self, cmd: Command) -> None:
        from services.imap.handlers import HANDLERS

        spec = COMMANDS[cmd.name]
        start = time.perf_counter()
        label = cmd.name if not cmd.uid else f"UID {cmd.name}"
        if self.state not in spec.states:
            result = Result("BAD", f"{cmd.name} not allowed now")
        else:
            self.bad_count = 0
            try:
                result = await HANDLERS[cmd.name](self, cmd)
            except Silent:
                metrics.COMMANDS.labels(label, "ok").inc()
                return
            except CommandError as exc:
                result = exc.result
            except BadSequenceError as exc:
                result = Result("BAD", str(exc))
            except NameError_ as exc:
                result = Result("NO", str(exc), "CANNOT")
            except grpc.aio.AioRpcError as exc:
                result = grpc_result(exc)
            except BlobError:
                log.warning("blob store unavailable during %s", cmd.name)
                result = Result("NO", "Message data temporarily unavailable", "UNAVAILABLE")
            except (ConnectionError, ssl.SSLError, TimeoutError):
                raise
            except Exception:
                log.exception("%s failed", cmd.name)
                result = Result("NO", "Internal server error", "SERVERBUG")
            if self.sel is not None and result.status != "BAD" and cmd.name not in ("SELECT", "EXAMINE"):
                allow_expunge = cmd.uid or cmd.name not in ("FETCH", "STORE", "SEARCH")
                force = cmd.name in ("NOOP", "CHECK", "IDLE")
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await self.sync(allow_expunge, force)
        if result.status == "BAD":
            self.bad_count += 1
        metrics.COMMANDS.labels(label, result.status.lower()).inc()
        metrics.COMMAND_DURATION.labels(label).observe(time.perf_counter() - start)
        self.send(wire.tagged(cmd.tag, result.status, result.text, result.code))
        if self.state == LOGOUT:
            await self.flush()

    # -- authentication -------------------------------------------------------------
    def _watch(self) -> None:
        if self.user is not None and self.changed is None:
            self.changed = self.ctx.hub.subscribe(self.user.id)

    def _unwatch(self) -> None:
        if self.user is not None and self.changed is not None:
            self.ctx.hub.unsubscribe(self.user.id, self.changed)
            self.changed = None

    async def start_tls(self) -> None:
        assert self.ctx.tls is not None
        await self.conn.start_tls(self.ctx.tls)
        self.reader = self.conn.reader
        self.writer = self.conn.writer
        self.tls_active = True
        self.rx = Receiver(self.rx.limits)  # drop anything pipelined before the handshake

    async def authenticate(self, username: str, password: bytes) -> Result:
        from services.imap.auth import login

        user, result = await login(self, username, password)
        if user is not None:
            self.user = user
            self.state = AUTH
            self._watch()
        return result

    # -- change tracking ------------------------------------------------------------
    async def sync(self, allow_expunge: bool = True, force: bool = False) -> None:
        """Sends EXISTS / EXPUNGE / FETCH for changes since the session's HIGHESTMODSEQ."""
        sel = self.sel
        if sel is None:
            return
        now = time.monotonic()
        dirty = self.changed is None or self.changed.is_set()
        if not (force or dirty or now - self.last_sync >= self.cfg.poll_interval or sel.ghosts):
            return
        if self.changed is not None:
            self.changed.clear()
        self.last_sync = now
        try:
            resp = await self.md.messages.GetChanges(
                pb.GetChangesRequest(user_id=self.user_id, mailbox_id=sel.mailbox_id, since_modseq=sel.highest_modseq)
            )
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) == er.NO_SUCH_MAILBOX:
                self.untagged("BYE Selected mailbox was deleted")
                self.state = LOGOUT
                return
            raise
        if sel is not self.sel:
            return
        expunged = [u for u in resp.expunged if sel.contains(u)]
        if not resp.expunged_complete and resp.highest_modseq > sel.highest_modseq:
            listed = await self.md.messages.ListUids(
                pb.ListUidsRequest(user_id=self.user_id, mailbox_id=sel.mailbox_id)
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
            for m in resp.changed:
                if m.uid > top:
                    sel.reported[m.uid] = m.modseq
            sel.add(new)
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self.load_recent(sel)
            self.untagged(f"{sel.exists} EXISTS")
            if not self.rev2:
                self.untagged(f"{len(sel.recent)} RECENT")
        if resp.uidnext:
            sel.uidnext = max(sel.uidnext, resp.uidnext)
        # the mailbox counter is read before the change index: never step back behind what we saw
        seen = max((m.modseq for m in resp.changed), default=0)
        sel.highest_modseq = max(sel.highest_modseq, resp.highest_modseq, seen)

    async def load_recent(self, sel: Selected) -> None:
        """\\Recent of the selected mailbox: SELECT claims the unclaimed messages (first session
        wins); EXAMINE only looks at them (RFC 3501 6.3.2: same output, \\Recent left alone)."""
        if sel.readonly:
            resp = await self.md.messages.Search(
                pb.SearchRequest(user_id=self.user_id, mailbox_id=sel.mailbox_id, key=pb.SearchKey(recent=True))
            )
            sel.recent = {u for u in resp.uids if sel.contains(u)}
            return
        req = pb.ClaimRecentRequest(user_id=self.user_id, mailbox_id=sel.mailbox_id)
        claim = await self.md.messages.ClaimRecent(req)
        sel.recent.update(u for u in claim.uids if sel.contains(u))

    def announce_expunges(self, uids: list[int]) -> None:
        sel = self.sel
        assert sel is not None
        if self.qresync:
            gone = [u for u in uids if sel.contains(u)]
            for u in gone:
                sel.remove(u)
            if gone:
                from services.imap.selected import compress

                self.untagged(f"VANISHED {compress(gone)}")
            return
        for u in sorted(uids, reverse=True):
            seq = sel.remove(u)
            if seq is not None:
                self.untagged(f"{seq} EXPUNGE")

    def send_flags(self, seq: int, uid: int, flags: list[str], modseq: int) -> None:
        items = [f"UID {uid}", "FLAGS (" + " ".join(self.visible_flags(uid, flags)) + ")"]
        if self.condstore:
            items.append(f"MODSEQ ({modseq})")
        self.untagged(f"{seq} FETCH (" + " ".join(items) + ")")

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


def grpc_result(exc: grpc.aio.AioRpcError, overrides: dict[int, reasons.Reply] | None = None) -> Result:
    """The tagged reply for a failed metadata call (services.imap.reasons)."""
    return Result(*reasons.reply(reason_of(exc), exc.details() or exc.code().name, overrides))
