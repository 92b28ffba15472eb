"""Spam learning from IMAP (issue 15): a message copied or moved into the user's `\\Junk`
mailbox trains Rspamd as spam, one taken out of Junk (to anything but `\\Trash`) as ham.

The IMAP command never waits for it and never fails because of it: `moved` only schedules a
background task. Work is bounded: at most MAX_PER_COMMAND messages of one command, at most
MAX_PENDING tasks in flight per process (more are dropped and logged), each Rspamd request
bounded by KUBEMAIL_RSPAMD_TIMEOUT. Results are counted by services.common.rspamd's metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc

from services.common.blobstore import BlobError, BlobStore
from services.common.grpcclient import MetadataClient
from services.common.rspamd import Rspamd, ScannerError
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.imap.selected import ranges

log = logging.getLogger("kubemail.imap.learning")

JUNK = "\\Junk"
TRASH = "\\Trash"
MAX_PER_COMMAND = 100
MAX_PENDING = 200


def direction(source_special: str, dest_special: str) -> bool | None:
    """True = learn spam, False = learn ham, None = nothing to learn."""
    if dest_special == JUNK and source_special != JUNK:
        return True
    if source_special == JUNK and dest_special not in (JUNK, TRASH):
        return False
    return None


class Learner:
    def __init__(self, rspamd: Rspamd, md: MetadataClient, blobs: BlobStore) -> None:
        self.rspamd = rspamd
        self.md = md
        self.blobs = blobs
        self.tasks: set[asyncio.Task[None]] = set()

    def moved(self, user_id: str, source_special: str, dest: str, dest_uids: list[int]) -> None:
        """After a successful COPY or MOVE into `dest`: learn in the background if it crosses
        the Junk boundary. Never raises, never blocks."""
        if not dest_uids:
            return
        if len(self.tasks) >= MAX_PENDING:
            log.warning("spam learning dropped: %d learning tasks already pending", len(self.tasks))
            return
        task = asyncio.get_running_loop().create_task(
            self._learn(user_id, source_special, dest, sorted(dest_uids)[:MAX_PER_COMMAND])
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _learn(self, user_id: str, source_special: str, dest: str, uids: list[int]) -> None:
        try:
            mb = (
                await self.md.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=user_id, name=dest))
            ).mailbox
            spam = direction(source_special, mb.special_use)
            if spam is None:
                return
            resp = await self.md.messages.FetchMessages(
                messages_pb.FetchMessagesRequest(user_id=user_id, mailbox_id=mb.id, uids=ranges(uids))
            )
            for meta in resp.messages:
                raw = await self.blobs.get(meta.blob_id)
                await self.rspamd.learn(spam, raw)
            log.info("learned %d message(s) as %s", len(resp.messages), "spam" if spam else "ham")
        except ScannerError as exc:
            log.warning("spam learning failed: rspamd %s (%s)", exc.kind, exc)
        except grpc.aio.AioRpcError as exc:
            log.warning("spam learning failed: metadata %s", exc.code().name)
        except (BlobError, OSError) as exc:
            log.warning("spam learning failed: blob read: %s", exc)

    async def close(self, timeout: float = 5.0) -> None:
        """Lets pending learning finish for up to `timeout` seconds, then cancels the rest."""
        if self.tasks:
            _done, pending = await asyncio.wait(set(self.tasks), timeout=timeout)
            for t in pending:
                t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*pending, return_exceptions=True)
        await self.rspamd.close()
