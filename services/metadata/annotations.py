"""METADATA entries (RFC 5464) of a user's mailboxes and of the server, as the user sees them:
one hash per mailbox id (P md:<id>, so entries follow RENAME and die with DELETE) and one for
the server (P md:S). Writes are one script (meta_set.lua) that checks the count first."""

from __future__ import annotations

from services.common import metaentries as limits
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.metadata import keys
from services.metadata import validate as v
from services.metadata.errors import Fail, invalid
from services.metadata.store import Store


def _names(raw: list[str], what: str) -> list[str]:
    if not raw:
        raise invalid(f"no {what}")
    if len(raw) > limits.MAX_PER_COMMAND:
        raise invalid(f"more than {limits.MAX_PER_COMMAND} {what}")
    out = []
    for n in raw:
        canon = limits.entry_name(n)
        if canon is None:
            raise invalid(f"bad metadata entry name {n[:60]!r}")
        out.append(canon)
    return out


class Annotations:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def _key(self, user_id: str, mailbox: str) -> str:
        k = keys.user(user_id)
        if not mailbox:
            return k.annotations("")
        mbid = await self.store.timed("mbx_get", self.store.r.hget(k.mbx, v.mailbox_name(mailbox)))
        if mbid is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_MAILBOX, "no such mailbox")
        return k.annotations(mbid.decode())

    async def get(self, req: mailboxes_pb.GetMetadataRequest) -> mailboxes_pb.GetMetadataResponse:
        if req.depth not in (0, 1, limits.DEPTH_INFINITY):
            raise invalid("depth must be 0, 1 or infinity")
        wanted = _names(list(req.entries), "entries")
        key = await self._key(req.user_id, req.mailbox)
        stored = await self.store.timed("metadata_get", self.store.r.hgetall(key))
        values = {n.decode(): val for n, val in stored.items()}
        out = mailboxes_pb.GetMetadataResponse()
        for name in limits.selected(list(values), wanted, req.depth):
            val = values[name]
            if req.max_size and len(val) > req.max_size:
                out.longest_skipped = max(out.longest_skipped, len(val))
                out.skipped.append(name)
                continue
            out.entries.append(mailboxes_pb.MetadataEntry(name=name, value=val))
        return out

    async def set(self, req: mailboxes_pb.SetMetadataRequest) -> mailboxes_pb.SetMetadataResponse:
        names = _names([e.name for e in req.entries], "entries")
        args: list[str | bytes | int] = [req.mailbox and v.mailbox_name(req.mailbox), limits.MAX_ENTRIES]
        for name, e in zip(names, req.entries, strict=True):
            if e.HasField("value"):
                if len(e.value) > limits.MAX_VALUE:
                    raise Fail(er.ERROR_REASON_METADATA_TOO_LARGE, f"value longer than {limits.MAX_VALUE} octets")
                args += [name, "s", e.value]
            else:
                args += [name, "d", ""]
        await self.store.user_script("meta_set", req.user_id, args)
        return mailboxes_pb.SetMetadataResponse()
