"""One IMAP connection's state and output, handed to every command handler: capabilities,
the buffered writer, reading more input, login and STARTTLS. Keeping the selected mailbox in
step lives in services.imap.sync (mixed in); the command loop in services.imap.dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import grpc

from services.common.actor import ACTOR
from services.common.grpcclient import reason_of
from services.common.mailstore import MailStoreError
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.imap import reasons, wire
from services.imap.auth import login
from services.imap.context import ServerContext
from services.imap.deflate import Deflate, DeflateError
from services.imap.errors import Result
from services.imap.grammar import AUTH, NONAUTH
from services.imap.notify import NotifyState
from services.imap.receiver import Limits, Receiver
from services.imap.selected import Selected
from services.imap.sync import MailboxSync

log = logging.getLogger("kubemail.imap")


class Session(MailboxSync):
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
        self.user: directory_pb.User | None = None
        self._sel: Selected | None = None
        self.enabled: set[str] = set()
        self.condstore = False
        self.rx = Receiver(
            Limits(
                max_line=ctx.cfg.max_line,
                max_literal=ctx.cfg.append_limit,
                max_command=ctx.cfg.append_limit + ctx.cfg.max_line * 4,
                literal_minus=ctx.cfg.literal_minus,
            )
        )
        self.id = uuid.uuid4().hex[:12]
        self.changed: asyncio.Event | None = None
        self.feed_modseq = 0  # services.imap.sync: what set `changed` since the last re-read
        self.feed_unknown = False
        self.notify_state: NotifyState | None = None  # NOTIFY (services.imap.cmd_notify)
        self.notify_changed: asyncio.Event | None = None
        self.notify_last = 0.0
        self.notify_new: list[int] | None = None
        self.last_sync = 0.0
        self.bad_count = 0
        self._deadline: float | None = None  # of the command being received (see _remaining)
        self._out: list[bytes] = []
        self._out_size = 0
        self.deflate: Deflate | None = None  # COMPRESS=DEFLATE (RFC 4978) once active
        self.inflated = 0  # inflated input octets since the last complete command

    # -- properties -----------------------------------------------------------------
    @property
    def sel(self) -> Selected | None:
        return self._sel

    @sel.setter
    def sel(self, value: Selected | None) -> None:
        """Selecting another user's (shared) mailbox also subscribes `changed` to that mailbox's
        events in the owner's feed, so IDLE gets instant pushes there too."""
        old, self._sel = self._shared_key(self._sel), value
        if self.notify_new:
            self.notify_new = []  # NOTIFY MessageNew: uids of the mailbox no longer selected
        new = self._shared_key(value)
        if old != new and self.changed is not None:
            if old:
                self.ctx.hub.unsubscribe(old[0], self.changed, old[1], self.user_id)
            if new:
                self.ctx.hub.subscribe(new[0], new[1], self.user_id, ev=self.changed, wants=self.wants)

    def _shared_key(self, sel: Selected | None) -> tuple[str, str] | None:
        if sel is None or not sel.owner or self.user is None or sel.owner == self.user.id:
            return None
        return sel.owner, sel.mailbox_id

    @property
    def utf8(self) -> bool:
        return "IMAP4REV2" in self.enabled or "UTF8=ACCEPT" in self.enabled

    @property
    def utf8_accept(self) -> bool:
        """ENABLE UTF8=ACCEPT was given (RFC 6855 3: SEARCH then takes no CHARSET)."""
        return "UTF8=ACCEPT" in self.enabled

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
        # RFC 7888 5: never both LITERAL+ and LITERAL-
        literal = "LITERAL-" if self.cfg.literal_minus else "LITERAL+"
        caps = ["IMAP4rev1", "IMAP4rev2", literal, "SASL-IR", "ID", "ENABLE", "IDLE"]
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
            "CONTEXT=SEARCH",
            "SEARCHRES",
            "WITHIN",
            "CONDSTORE",
            "QRESYNC",
            "QUOTA",
            "QUOTA=RES-STORAGE",
            f"APPENDLIMIT={self.cfg.append_limit}",
            "MULTIAPPEND",
            "CATENATE",
            "STATUS=SIZE",
            "UTF8=ACCEPT",
            *([] if self.deflate is not None else ["COMPRESS=DEFLATE"]),
            "BINARY",
            "OBJECTID",
            "SAVEDATE",
            "PREVIEW",
            "SORT",
            "SORT=DISPLAY",
            "ESORT",
            "CONTEXT=SORT",
            "THREAD=ORDEREDSUBJECT",
            "THREAD=REFERENCES",
            "METADATA",
            "ACL",
            "RIGHTS=texk",
            "NOTIFY",
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
            self.writer.write(data if self.deflate is None else self.deflate.compress(data))
        await self.writer.drain()

    async def maybe_flush(self) -> None:
        if self._out_size >= 256 * 1024:
            await self.flush()

    def _timeout(self) -> float:
        return self.cfg.idle_timeout if self.state != NONAUTH else self.cfg.auth_timeout

    def _remaining(self) -> float:
        """Seconds left to read: a whole command must arrive within the timeout, so a client
        trickling bytes without ever finishing a line is logged out like an idle one."""
        now = asyncio.get_running_loop().time()
        if self._deadline is None or not self.rx.partial():
            self._deadline = now + self._timeout()
        return max(0.0, self._deadline - now)

    def feed(self, data: bytes) -> None:
        """Received octets into the receiver (inflated first once COMPRESS is active)."""
        if self.deflate is None:
            self.rx.feed(data)
            return
        self._feed_inflated(self.deflate.inflate(data))

    def feed_pending(self) -> bool:
        """COMPRESS: the next bounded step of input already received; False if none."""
        if self.deflate is None or not self.deflate.pending():
            return False
        self._feed_inflated(self.deflate.more())
        return True

    def _feed_inflated(self, data: bytes) -> None:
        self.inflated += len(data)
        if self.inflated > self.rx.limits.max_command + self.rx.limits.max_line:
            raise DeflateError("inflated input larger than any command")  # a zip bomb (invariant 7)
        self.rx.feed(data)

    def start_compression(self) -> None:
        """COMPRESS DEFLATE: from now on both directions are raw deflate (after the tagged OK)."""
        self.deflate = Deflate()
        self.inflated = 0
        left = self.rx.take_buffered()
        if left:
            self.feed(left)

    async def read_more(self) -> bool:
        """Reads the next chunk into the receiver; False on EOF. Autologout on timeout."""
        if self.feed_pending():
            return True
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
        self.feed(data)
        return True

    # -- authentication -------------------------------------------------------------
    def _watch(self) -> None:
        if self.user is not None and self.changed is None:
            self.changed = self.ctx.hub.subscribe(self.user.id, wants=self.wants)

    def _unwatch(self) -> None:
        self.sel = None  # drops a shared mailbox's subscription
        if self.user is not None and self.changed is not None:
            self.ctx.hub.unsubscribe(self.user.id, self.changed)
            self.changed = None
        self.stop_notify()

    def start_notify(self, state: NotifyState) -> None:
        """NOTIFY SET: its own subscription to the change feed (sync clears `changed`)."""
        self.notify_state = state
        self.notify_new = [] if state.fetch and state.selected and "MESSAGENEW" in state.selected else None
        self.notify_last = asyncio.get_running_loop().time()
        if self.notify_changed is None and self.user is not None:
            self.notify_changed = self.ctx.hub.subscribe(self.user.id)

    def stop_notify(self) -> None:
        self.notify_state = None
        self.notify_new = None
        if self.notify_changed is not None and self.user is not None:
            self.ctx.hub.unsubscribe(self.user.id, self.notify_changed)
        self.notify_changed = None

    async def start_tls(self) -> None:
        assert self.ctx.tls is not None
        await self.conn.start_tls(self.ctx.tls)
        self.reader = self.conn.reader
        self.writer = self.conn.writer
        self.tls_active = True
        self.rx = Receiver(self.rx.limits)  # drop anything pipelined before the handshake

    async def authenticate(self, username: str, password: bytes, mechanism: str = "command") -> Result:
        user, result = await login(self.ctx, username, password, self.remote_ip, mechanism)
        if user is not None:
            self.user = user
            self.state = AUTH
            ACTOR.set(user.id)  # every metadata call of this connection from now on acts for the user
            self._watch()
        return result


def grpc_result(exc: grpc.aio.AioRpcError, overrides: dict[int, reasons.Reply] | None = None) -> Result:
    """The tagged reply for a failed metadata call (services.imap.reasons)."""
    return Result(*reasons.reply(reason_of(exc), exc.details() or exc.code().name, overrides))


def store_result(exc: MailStoreError, overrides: dict[int, reasons.Reply] | None = None) -> Result:
    """The tagged reply for a failed mail-store operation (services.imap.reasons)."""
    return Result(*reasons.store_reply(exc, overrides))
