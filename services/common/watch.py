"""One Changes.Watch stream per user per process, fanned out to that user's sessions.

Notifications may be lost; sessions never depend on them (they also re-read changes on a
timer). An event only sets the sessions' asyncio.Events; a subscriber may pass a filter that
tells from the event whether it concerns it (an IMAP session: its selected mailbox, a change it
has not seen yet). HELLO and a cut stream set every event, filter or not. The metadata server closes
connections after a maximum age (so clients spread over new pods); a stream cut that way is
re-opened at once.

A session that selected another user's mailbox (shared through an ACL) also subscribes to that
one mailbox of the owner's feed, for its actor: the stream carries the kubemail-actor header and
the metadata service checks the actor's right r on the mailbox (services.metadata.acl.NEEDS).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import grpc

from services.common.actor import HEADER
from services.common.grpcclient import MetadataClient, reason_of
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import errors_pb2 as er

log = logging.getLogger("kubemail.watch")
RECONNECT_DELAY = 0.05  # after a live stream ended: bounds a reconnect loop, keeps pushes prompt
# a shared mailbox's stream is not re-opened after these (rights revoked, mailbox gone): polling stays
_FINAL = (er.ERROR_REASON_UNIMPLEMENTED, er.ERROR_REASON_PERMISSION_DENIED, er.ERROR_REASON_NO_SUCH_MAILBOX)
Key = tuple[str, str, str]  # (user id, mailbox id or "" = every mailbox, actor or "" = the user's own)
Filter = Callable[[changes_pb.ChangeEvent | None], bool]  # None: HELLO or a cut stream


class WatchHub:
    def __init__(self, client: MetadataClient, retry: float = 1.0) -> None:
        self.client = client
        self.retry = retry
        self._subs: dict[Key, dict[asyncio.Event, Filter | None]] = {}
        self._tasks: dict[Key, asyncio.Task[None]] = {}

    def subscribe(
        self,
        user_id: str,
        mailbox_id: str = "",
        actor: str = "",
        ev: asyncio.Event | None = None,
        wants: Filter | None = None,
    ) -> asyncio.Event:
        """An event set on every change of the user's mailboxes (or of one, for `actor`: another
        user's mailbox shared with the actor). `ev`: an event of the caller's to set as well;
        `wants`: set it only for the change events this returns True for (it sees None for HELLO
        and a cut stream, and must answer True then)."""
        ev = ev or asyncio.Event()
        key = (user_id, mailbox_id, actor)
        self._subs.setdefault(key, {})[ev] = wants
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key))
        return ev

    def unsubscribe(self, user_id: str, ev: asyncio.Event, mailbox_id: str = "", actor: str = "") -> None:
        key = (user_id, mailbox_id, actor)
        subs = self._subs.get(key)
        if subs is None:
            return
        subs.pop(ev, None)
        if not subs:
            del self._subs[key]
            task = self._tasks.pop(key, None)
            if task:
                task.cancel()

    def wake_all(self) -> None:
        """Sets every subscriber's event (a shutting-down front-end ends its waits this way)."""
        for subs in self._subs.values():
            for ev in subs:
                ev.set()

    def _notify(self, key: Key, event: changes_pb.ChangeEvent | None = None) -> None:
        """Sets the subscribers' events: all of them without `event` (HELLO, a cut stream), else
        those whose filter wants it."""
        if event is not None and event.kind == changes_pb.ChangeEvent.KIND_HELLO:
            event = None
        for ev, wants in list(self._subs.get(key, {}).items()):
            if wants is None or wants(event) or event is None:
                ev.set()

    async def _run(self, key: Key) -> None:
        user_id, mailbox_id, actor = key
        md = ((HEADER, actor),) if actor else None
        while key in self._subs:
            call = None
            live = False
            try:
                req = changes_pb.WatchRequest(user_id=user_id, mailbox_id=mailbox_id)
                call = self.client.changes.Watch(req, timeout=None, metadata=md)
                async for resp in call:
                    # HELLO sets every event: anything missed before the stream was live is re-read
                    live = True
                    self._notify(key, resp.event)
            except asyncio.CancelledError:
                if call is not None:
                    call.cancel()
                raise
            except grpc.aio.AioRpcError as exc:
                reason = reason_of(exc)
                if reason == er.ERROR_REASON_UNIMPLEMENTED or (mailbox_id and reason in _FINAL):
                    return
                log.debug("watch stream for a user ended: %s", exc.code().name)
            except Exception:  # pragma: no cover - keep the hub alive
                log.exception("watch stream failed")
            self._notify(key)
            # A stream that was live ended: the server aged its connection out (GOAWAY after
            # KUBEMAIL_METADATA_MAX_CONNECTION_AGE_SECONDS) or its pod went away. Reconnect at
            # once (a new connection, DNS resolved again) so pushes resume; back off only
            # when the attempt itself failed.
            await asyncio.sleep(RECONNECT_DELAY if live else self.retry)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._subs.clear()
