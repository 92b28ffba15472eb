"""GetItemEstimate ([MS-ASCMD] 2.2.1.9), ItemOperations Fetch (2.2.1.10: a message's body and
attachment list by ServerId, an attachment's bytes by FileReference) and MoveItems (2.2.1.12)."""

from __future__ import annotations

import base64
import logging

from services.common.mailstore import MailStoreError, NoSuchMailbox, new_key
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.web.eas import mailitem
from services.web.eas.state import DeviceState
from services.web.eas.store import HistoryLostError, Store
from services.web.wbxml.codec import Element, el

log = logging.getLogger("kubemail.web.eas.items")

G, S, IO, B, M = "GetItemEstimate", "AirSync", "ItemOperations", "AirSyncBase", "Move"
MAX_ESTIMATE = 5000
MAX_OPERATIONS = 32


async def estimate(store: Store, user_id: str, state: DeviceState, body: Element | None) -> Element:
    cols = body.find(G, "Collections") if body is not None and body.tag == "GetItemEstimate" else None
    if cols is None or not cols.findall(G, "Collection"):
        return el(G, "GetItemEstimate", el(G, "Status", 2))  # no (valid) collection in the request
    out = []
    for c in cols.findall(G, "Collection")[:64]:
        cid_el, key_el = c.find(G, "CollectionId"), c.find(S, "SyncKey")
        cid = cid_el.value() if cid_el is not None else ""
        col = state.collections.get(cid)
        win = col.window(int(key_el.value())) if col and key_el is not None and key_el.value().isdigit() else None
        if await store.mailbox(user_id, cid) is None:
            out.append(el(G, "Response", el(G, "Status", 2), el(G, "Collection", el(G, "CollectionId", cid))))
            continue
        if win is None:
            out.append(el(G, "Response", el(G, "Status", 4), el(G, "Collection", el(G, "CollectionId", cid))))
            continue
        try:
            changes = await store.changes(user_id, cid, win.modseq)
        except HistoryLostError:
            out.append(el(G, "Response", el(G, "Status", 4), el(G, "Collection", el(G, "CollectionId", cid))))
            continue
        lo = col.floor if col is not None else 1
        n = sum(1 for u in changes.changed if lo <= u < win.next_uid)
        n += sum(1 for u in changes.expunged if lo <= u < win.next_uid)
        new, _ = await store.messages(user_id, cid, win.next_uid, MAX_ESTIMATE)
        answer = el(G, "Collection", el(G, "CollectionId", cid), el(G, "Estimate", min(n + len(new), MAX_ESTIMATE)))
        out.append(el(G, "Response", el(G, "Status", 1), answer))
    return el(G, "GetItemEstimate", *out)


async def _fetch_item(store: Store, user_id: str, f: Element) -> Element:
    cid_el, sid_el = f.find(S, "CollectionId"), f.find(S, "ServerId")
    sid = sid_el.value() if sid_el is not None else ""
    parsed = mailitem.parse_server_id(sid, cid_el.value() if cid_el is not None else None)
    meta = await store.message(user_id, parsed[0], parsed[1]) if parsed else None
    if parsed is None or meta is None:
        return el(IO, "Fetch", el(IO, "Status", 6), el(S, "ServerId", sid[:200]))
    data = await store.item(parsed[0], meta, mailitem.preferences(f.find(IO, "Options")))
    props = el(IO, "Properties", *data.children)
    ids = [el(S, "CollectionId", parsed[0]), el(S, "ServerId", sid), el(S, "Class", "Email")]
    return el(IO, "Fetch", el(IO, "Status", 1), *ids, props)


async def _fetch_attachment(store: Store, user_id: str, ref: str) -> Element:
    parsed = mailitem.parse_file_reference(ref)
    meta = await store.message(user_id, parsed[0], parsed[1]) if parsed else None
    if parsed is None or meta is None:
        return el(IO, "Fetch", el(IO, "Status", 15), el(B, "FileReference", ref[:200]))
    parts = mailitem.attachments(mailitem.parse(await store.raw(meta)))
    if parsed[2] >= len(parts):
        return el(IO, "Fetch", el(IO, "Status", 15), el(B, "FileReference", ref))
    part = parts[parsed[2]]
    data = mailitem.attachment_bytes(part)
    props = el(IO, "Properties", el(B, "ContentType", part.get_content_type()),
               el(IO, "Data", base64.b64encode(data).decode("ascii")))  # fmt: skip
    return el(IO, "Fetch", el(IO, "Status", 1), el(B, "FileReference", ref), props)


async def operations(store: Store, user_id: str, body: Element | None) -> Element:
    if body is None or (body.ns, body.tag) != (IO, "ItemOperations") or not body.children:
        return el(IO, "ItemOperations", el(IO, "Status", 2))
    if len(body.children) > MAX_OPERATIONS:
        return el(IO, "ItemOperations", el(IO, "Status", 2))
    out = []
    for op in body.children:
        if (op.ns, op.tag) != (IO, "Fetch"):
            out.append(el(IO, op.tag if op.ns == IO else "Fetch", el(IO, "Status", 2)))
            continue
        store_el = op.find(IO, "Store")
        if store_el is None or store_el.value().lower() != "mailbox":
            out.append(el(IO, "Fetch", el(IO, "Status", 9)))  # store unknown
            continue
        ref = op.find(B, "FileReference")
        out.append(await (_fetch_attachment(store, user_id, ref.value()) if ref else _fetch_item(store, user_id, op)))
    return el(IO, "ItemOperations", el(IO, "Status", 1), el(IO, "Response", *out))


async def move(store: Store, user_id: str, body: Element | None) -> Element:
    if body is None or (body.ns, body.tag) != (M, "MoveItems") or not body.findall(M, "Move"):
        return el(M, "MoveItems", el(M, "Response", el(M, "Status", 5)))
    out = []
    for mv in body.findall(M, "Move")[:MAX_OPERATIONS]:
        src, sfld, dfld = (mv.find(M, t) for t in ("SrcMsgId", "SrcFldId", "DstFldId"))
        sid = src.value() if src is not None else ""
        parsed = mailitem.parse_server_id(sid, sfld.value() if sfld is not None else None)
        dst = await store.mailbox(user_id, dfld.value()) if dfld is not None and dfld.value() else None
        status, new_id = 3, ""
        if parsed is None or await store.mailbox(user_id, parsed[0]) is None:
            status = 1
        elif dst is None:
            status = 2
        elif dst.id == parsed[0]:
            status = 4
        else:
            try:
                resp = await store.mail.move(
                    user_id, parsed[0], [types_pb.UidRange(lo=parsed[1], hi=parsed[1])], dst.name, new_key("eas-move")
                )
            except NoSuchMailbox:
                status = 2
            except MailStoreError as exc:
                log.warning("MoveItems failed: %s", exc)
                status = 5
            else:
                if resp.destination_uids:
                    new_id = mailitem.server_id(dst.id, resp.destination_uids[0])
                else:
                    status = 1  # the message is gone
        parts = [el(M, "SrcMsgId", sid[:200]), el(M, "Status", status)]
        if new_id:
            parts.append(el(M, "DstMsgId", new_id))
        out.append(el(M, "Response", *parts))
    return el(M, "MoveItems", *out)
