"""The command loop of one IMAP connection: reads commands through the Receiver, runs each
command's handler from the table in services.imap.handlers, and writes the tagged reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time

import grpc

from services.common.blobstore import BlobError
from services.common.mailstore import MailStoreError
from services.common.sockets import ack_now
from services.imap import metrics, wire
from services.imap.cmd_notify import deliver
from services.imap.deflate import DeflateError
from services.imap.errors import CommandError, Result, Silent
from services.imap.grammar import COMMANDS, LOGOUT, Command
from services.imap.handlers import HANDLERS
from services.imap.names import NameError_
from services.imap.receiver import Bad, Continue, Fatal
from services.imap.selected import BadSequenceError
from services.imap.session import Session, grpc_result, store_result

log = logging.getLogger("kubemail.imap")


class CommandLoop(Session):
    """A Session that runs its own command loop (started by services.imap.server)."""

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

    async def _loop(self) -> None:
        while self.state != LOGOUT:
            if self.ctx.closing and not self.rx.in_command():
                self.untagged("BYE Server shutting down")
                await self.flush()
                return
            ev = self.rx.next()
            if ev is None:
                await self.flush()
                try:
                    if not await self._read_or_notify():
                        return
                except DeflateError as exc:
                    log.info("COMPRESS input refused: %s", exc)
                    self.untagged("BYE Compressed input refused")
                    await self.flush()
                    return
                continue
            self.inflated = 0
            if isinstance(ev, Continue):
                self.send(wire.cont(ev.text))
                await self.flush()
                ack_now(self.writer)  # the literal's last bytes are not held back by the client
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

    async def _read_or_notify(self) -> bool:
        """read_more(); with NOTIFY set and no command in progress, changes are reported while the
        client sends nothing (RFC 5465 5: no need to IDLE): mailbox STATUS/LIST from the change feed
        or the poll tick, and the selected mailbox's new messages and flag changes. Never EXPUNGE:
        RFC 3501 7.4.1 forbids it when no command is in progress."""
        if self.notify_state is None or self.rx.in_command():
            return await self.read_more()
        read = asyncio.ensure_future(self.read_more())
        try:
            while True:
                wake = asyncio.ensure_future(self._notify_wait())
                done, _ = await asyncio.wait({read, wake}, return_when=asyncio.FIRST_COMPLETED)
                if read in done:
                    wake.cancel()
                    return read.result()
                if self.notify_state is None:
                    continue
                with contextlib.suppress(grpc.aio.AioRpcError):
                    if self.sel is not None and self.notify_state.selected:
                        await self.sync(False, True)
                    await deliver(self, force=True)
                await self.flush()
        finally:
            if not read.done():
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await read

    async def _notify_wait(self) -> None:
        """A change of the user's mailboxes (or, the feed being best effort, the poll interval)."""
        changed = self.notify_changed
        if changed is None:
            await asyncio.sleep(self.cfg.poll_interval)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), self.cfg.poll_interval)

    async def execute(self, cmd: Command) -> None:
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
            except MailStoreError as exc:
                result = store_result(exc)
            except BlobError:
                log.warning("blob store unavailable during %s", cmd.name)
                result = Result("NO", "Message data temporarily unavailable", "UNAVAILABLE")
            except (ConnectionError, ssl.SSLError, TimeoutError):
                raise
            except Exception:
                log.exception("%s failed", cmd.name)
                result = Result("NO", "Internal server error", "SERVERBUG")
            # after LOGOUT's BYE only the tagged OK may follow (RFC 3501 6.1.3): no pending updates
            ended = self.state == LOGOUT
            if self.sel is not None and not ended and result.status != "BAD" and cmd.name not in ("SELECT", "EXAMINE"):
                allow_expunge = cmd.uid or cmd.name not in ("FETCH", "STORE", "SEARCH", "SORT", "THREAD")
                if self.notify_state is not None:  # NOTIFY SELECTED-DELAYED holds them longer
                    allow_expunge = allow_expunge and self.notify_state.allows_expunge(cmd.name)
                force = cmd.name in ("NOOP", "CHECK", "IDLE")
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await self.sync(allow_expunge, force)
            if self.notify_state is not None and not ended and result.status != "BAD" and cmd.name != "NOTIFY":
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await deliver(self, force=cmd.name in ("NOOP", "CHECK", "IDLE"))
        if result.status == "BAD":
            self.bad_count += 1
        metrics.COMMANDS.labels(label, result.status.lower()).inc()
        metrics.COMMAND_DURATION.labels(label).observe(time.perf_counter() - start)
        self.send(wire.tagged(cmd.tag, result.status, result.text, result.code))
        if self.state == LOGOUT:
            await self.flush()
