"""One Changes.Watch stream per user per process, fanned out to that user's sessions.

Notifications may be lost; sessions never depend on them (they also re-read changes on a
timer). An event only sets the sessions' asyncio.Events. The metadata server closes
connections after a maximum age (so clients spread over new pods); a stream cut that way is
re-opened at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc

from services.common.grpcclient import MetadataClient, reason_of
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import errors_pb2 as er

log = logging.getLogger("kubemail.watch")
RECONNECT_DELAY = 0.05  # after a live stream ended: bounds a reconnect loop, keeps pushes prompt


class WatchHub:
    def __init__(self, client: MetadataClient, retry: float = 1.0) -> None:
        self.client = client
        self.retry = retry
        self._subs: dict[str, set[asyncio.Event]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def subscribe(self, user_id: str) -> asyncio.Event:
        ev = asyncio.Event()
        self._subs.setdefault(user_id, set()).add(ev)
        if user_id not in self._tasks:
            self._tasks[user_id] = asyncio.create_task(self._run(user_id))
        return ev

    def unsubscribe(self, user_id: str, ev: asyncio.Event) -> None:
        subs = self._subs.get(user_id)
        if subs is None:
            return
        subs.discard(ev)
        if not subs:
            del self._subs[user_id]
            task = self._tasks.pop(user_id, None)
            if task:
                task.cancel()

    def wake_all(self) -> None:
        """Sets every subscriber's event (a shutting-down front-end ends its waits this way)."""
        for subs in self._subs.values():
            for ev in subs:
                ev.set()

    def _notify(self, user_id: str) -> None:
        for ev in self._subs.get(user_id, ()):
            ev.set()

    async def _run(self, user_id: str) -> None:
        while user_id in self._subs:
            call = None
            live = False
            try:
                call = self.client.changes.Watch(changes_pb.WatchRequest(user_id=user_id), timeout=None)
                async for event in call:
                    # HELLO included: anything missed before the stream was live is re-read
                    del event
                    live = True
                    self._notify(user_id)
            except asyncio.CancelledError:
                if call is not None:
                    call.cancel()
                raise
            except grpc.aio.AioRpcError as exc:
                if reason_of(exc) == er.ERROR_REASON_UNIMPLEMENTED:
                    return
                log.debug("watch stream for a user ended: %s", exc.code().name)
            except Exception:  # pragma: no cover - keep the hub alive
                log.exception("watch stream failed")
            self._notify(user_id)
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
