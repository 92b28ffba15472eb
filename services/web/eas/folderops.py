"""FolderCreate, FolderUpdate and FolderDelete ([MS-ASCMD] 2.2.1.2-4): mailboxes created, renamed
and deleted under the device's FolderSync key, which each success advances (and the hierarchy
the device holds with it, so its next FolderSync sends no echo).

Status: 1 success, 2 the name exists, 3 a special folder, 4 no such folder, 5 no such parent,
6 server error, 9 stale SyncKey, 10 malformed request."""

from __future__ import annotations

import grpc

from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.web.eas import folders
from services.web.eas.state import DeviceState
from services.web.eas.store import Store
from services.web.wbxml.codec import Element, el

F = folders.F
OK, EXISTS, SPECIAL, NO_FOLDER, NO_PARENT, SERVER_ERROR, BAD_KEY, MALFORMED = 1, 2, 3, 4, 5, 6, 9, 10
MAX_NAME = 200


def _value(body: Element, tag: str) -> str | None:
    e = body.find(F, tag)
    return e.value() if e is not None else None


def _check(body: Element | None, command: str, state: DeviceState) -> Element | None:
    if body is None or (body.ns, body.tag) != (F, command):
        return el(F, command, el(F, "Status", MALFORMED))
    key = _value(body, "SyncKey")
    if key is None or not key.isdigit() or len(key) > 10:
        return el(F, command, el(F, "Status", MALFORMED))
    if int(key) != state.folder_key or not state.folder_key:
        return el(F, command, el(F, "Status", BAD_KEY))
    return None


def _status_of(exc: grpc.aio.AioRpcError) -> int:
    reason = reason_of(exc)
    if reason == er.ERROR_REASON_MAILBOX_EXISTS:
        return EXISTS
    if reason in (er.ERROR_REASON_NO_SUCH_MAILBOX, er.ERROR_REASON_NO_SUCH_DESTINATION):
        return NO_FOLDER
    if reason in (er.ERROR_REASON_INBOX_PROTECTED, er.ERROR_REASON_INVALID_ARGUMENT):
        return SPECIAL
    raise exc


async def _names(store: Store, user_id: str) -> dict[str, mailboxes_pb.Mailbox]:
    return {m.id: m for m in await store.mailboxes(user_id)}


def _full_name(parent: mailboxes_pb.Mailbox | None, name: str) -> str:
    return f"{parent.name}{folders.DELIMITER}{name}" if parent is not None else name


async def _refresh(store: Store, user_id: str, state: DeviceState) -> None:
    state.folder_key += 1
    boxes = await store.mailboxes(user_id)
    state.folders = folders.hierarchy((m.id, m.name, m.special_use) for m in boxes)


def _bad_name(name: str | None) -> bool:
    return not name or len(name) > MAX_NAME or folders.DELIMITER in name or not name.isprintable()


async def create(store: Store, user_id: str, state: DeviceState, body: Element | None) -> Element:
    if (bad := _check(body, "FolderCreate", state)) is not None:
        return bad
    assert body is not None
    name, parent_id = _value(body, "DisplayName"), _value(body, "ParentId") or "0"
    if _bad_name(name):
        return el(F, "FolderCreate", el(F, "Status", MALFORMED))
    boxes = await _names(store, user_id)
    parent = boxes.get(parent_id)
    if parent_id != "0" and parent is None:
        return el(F, "FolderCreate", el(F, "Status", NO_PARENT))
    try:
        resp = await store.client.mailboxes.CreateMailbox(
            mailboxes_pb.CreateMailboxRequest(user_id=user_id, name=_full_name(parent, name or ""))
        )
    except grpc.aio.AioRpcError as exc:
        return el(F, "FolderCreate", el(F, "Status", _status_of(exc)))
    await _refresh(store, user_id, state)
    return el(F, "FolderCreate", el(F, "Status", OK), el(F, "SyncKey", state.folder_key),
              el(F, "ServerId", resp.mailbox.id))  # fmt: skip


async def update(store: Store, user_id: str, state: DeviceState, body: Element | None) -> Element:
    if (bad := _check(body, "FolderUpdate", state)) is not None:
        return bad
    assert body is not None
    sid, name, parent_id = _value(body, "ServerId") or "", _value(body, "DisplayName"), _value(body, "ParentId") or "0"
    if _bad_name(name):
        return el(F, "FolderUpdate", el(F, "Status", MALFORMED))
    boxes = await _names(store, user_id)
    box, parent = boxes.get(sid), boxes.get(parent_id)
    if box is None:
        return el(F, "FolderUpdate", el(F, "Status", NO_FOLDER))
    if box.special_use or box.name.upper() == "INBOX":
        return el(F, "FolderUpdate", el(F, "Status", SPECIAL))
    if parent_id != "0" and parent is None:
        return el(F, "FolderUpdate", el(F, "Status", NO_PARENT))
    try:
        await store.client.mailboxes.RenameMailbox(
            mailboxes_pb.RenameMailboxRequest(
                user_id=user_id, old_name=box.name, new_name=_full_name(parent, name or "")
            )
        )
    except grpc.aio.AioRpcError as exc:
        return el(F, "FolderUpdate", el(F, "Status", _status_of(exc)))
    await _refresh(store, user_id, state)
    return el(F, "FolderUpdate", el(F, "Status", OK), el(F, "SyncKey", state.folder_key))


async def delete(store: Store, user_id: str, state: DeviceState, body: Element | None) -> Element:
    if (bad := _check(body, "FolderDelete", state)) is not None:
        return bad
    assert body is not None
    box = (await _names(store, user_id)).get(_value(body, "ServerId") or "")
    if box is None:
        return el(F, "FolderDelete", el(F, "Status", NO_FOLDER))
    if box.special_use or box.name.upper() == "INBOX":
        return el(F, "FolderDelete", el(F, "Status", SPECIAL))
    try:
        await store.client.mailboxes.DeleteMailbox(mailboxes_pb.DeleteMailboxRequest(user_id=user_id, name=box.name))
    except grpc.aio.AioRpcError as exc:
        return el(F, "FolderDelete", el(F, "Status", _status_of(exc)))
    state.collections.pop(box.id, None)
    await _refresh(store, user_id, state)
    return el(F, "FolderDelete", el(F, "Status", OK), el(F, "SyncKey", state.folder_key))
