"""FolderSync ([MS-ASCMD] 2.2.1.5): the mailbox hierarchy as EAS folders, and the changes since
the SyncKey the device holds, pure. Folder ids are the metadata service's mailbox ids (stable
across renames); types come from SPECIAL-USE."""

from __future__ import annotations

from collections.abc import Iterable

from services.web.eas.state import DeviceState
from services.web.wbxml.codec import Element, el

F = "FolderHierarchy"
DELIMITER = "/"
# [MS-ASCMD] 2.2.3.186.3 folder types
TYPES = {"INBOX": "2", "\\Drafts": "3", "\\Trash": "4", "\\Sent": "5", "\\Junk": "12", "\\Archive": "12"}
USER_MAIL = "12"
OK, INVALID_SYNCKEY = 1, 9


def hierarchy(mailboxes: Iterable[tuple[str, str, str]]) -> dict[str, list[str]]:
    """{id: [display name, parent id ("0" = top), type]} of (id, name, special_use) triples."""
    items = list(mailboxes)
    by_name = {name: mid for mid, name, _ in items}
    out: dict[str, list[str]] = {}
    for mid, name, special in items:
        parent_name, _, leaf = name.rpartition(DELIMITER)
        parent = by_name.get(parent_name, "0") if parent_name else "0"
        kind = TYPES.get("INBOX" if name.upper() == "INBOX" else special, USER_MAIL)
        out[mid] = [("Inbox" if name.upper() == "INBOX" else leaf), parent, kind]
    return out


def _folder(tag: str, mid: str, f: list[str]) -> Element:
    return el(F, tag, el(F, "ServerId", mid), el(F, "ParentId", f[1]), el(F, "DisplayName", f[0]), el(F, "Type", f[2]))


def handle(req: Element, state: DeviceState, current: dict[str, list[str]]) -> Element:
    key_el = req.find(F, "SyncKey") if (req.ns, req.tag) == (F, "FolderSync") else None
    if key_el is None or not key_el.value().isdigit():
        return el(F, "FolderSync", el(F, "Status", 10))  # malformed request
    key = int(key_el.value())
    if key == 0:
        known: dict[str, list[str]] = {}
    elif key == state.folder_key:
        known = state.folders
    else:
        return el(F, "FolderSync", el(F, "Status", INVALID_SYNCKEY))
    adds = [_folder("Add", mid, f) for mid, f in current.items() if mid not in known]
    updates = [_folder("Update", mid, f) for mid, f in current.items() if mid in known and known[mid] != f]
    deletes = [el(F, "Delete", el(F, "ServerId", mid)) for mid in known if mid not in current]
    changes = [*adds, *updates, *deletes]
    if key == 0 or changes:
        state.folder_key = state.folder_key + 1
        state.folders = current
    return el(
        F, "FolderSync", el(F, "Status", OK), el(F, "SyncKey", state.folder_key),
        el(F, "Changes", el(F, "Count", len(changes)), *changes),
    )  # fmt: skip
