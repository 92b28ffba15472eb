"""ActiveSync over real HTTP against the real metadata service: OPTIONS, Basic auth, the
two-phase Provision with HTTP 449 before it, FolderSync with SPECIAL-USE types and changes,
state shared by two web servers (any pod serves any device), bad input answered with 4xx."""

from __future__ import annotations

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.web.wbxml.codec import decode, el
from tests.web.conftest import Eas, F


def test_options_lists_versions_and_commands(eas: Eas) -> None:
    status, headers, _ = eas.request("", None, method="OPTIONS")
    assert status == 200
    assert headers["MS-ASProtocolVersions"].split(",") == ["14.0", "14.1", "16.0", "16.1"]
    assert {"Provision", "FolderSync"} <= set(headers["MS-ASProtocolCommands"].split(","))


def test_auth_provision_gate_and_folder_sync_across_pods(eas: Eas) -> None:
    sync0 = el(F, "FolderSync", el(F, "SyncKey", "0"))
    assert eas.request("FolderSync", sync0, password="wrong")[0] == 401
    assert eas.request("FolderSync", sync0)[0] == 449  # not provisioned yet
    key = eas.provision(server=0)
    assert eas.request("FolderSync", sync0, key=key + 1)[0] == 449  # a stale key
    status, headers, body = eas.request("FolderSync", sync0, key=key, server=1)  # the other pod
    assert status == 200 and headers["Content-Type"].startswith("application/vnd.ms-sync.wbxml")
    resp = decode(body)
    assert resp.find(F, "Status").value() == "1"  # type: ignore[union-attr]
    sync_key = resp.find(F, "SyncKey").value()  # type: ignore[union-attr]
    adds = resp.find(F, "Changes").findall(F, "Add")  # type: ignore[union-attr]
    folders = {a.find(F, "DisplayName").value(): a.find(F, "Type").value() for a in adds}  # type: ignore[union-attr]
    # types from SPECIAL-USE ([MS-ASCMD] 2.2.3.186.3: 2 Inbox, 3 Drafts, 4 Deleted, 5 Sent, 12 user mail)
    assert folders == {"Inbox": "2", "Drafts": "3", "Trash": "4", "Sent": "5", "Junk": "12", "Archive": "12"}

    async def create() -> None:
        await eas.client.mailboxes.CreateMailbox(
            mailboxes_pb.CreateMailboxRequest(user_id=eas.user_id, name="Projects")
        )

    eas.loop.run(create())
    status, _, body = eas.request("FolderSync", el(F, "FolderSync", el(F, "SyncKey", sync_key)), key=key, server=0)
    resp = decode(body)
    (add,) = resp.find(F, "Changes").findall(F, "Add")  # type: ignore[union-attr]
    assert (add.find(F, "DisplayName").value(), add.find(F, "Type").value()) == ("Projects", "12")  # type: ignore[union-attr]
    assert int(resp.find(F, "SyncKey").value()) == int(sync_key) + 1  # type: ignore[union-attr]
    # an old SyncKey is refused with status 9: the device starts over
    status, _, body = eas.request("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "77")), key=key)
    assert decode(body).find(F, "Status").value() == "9"  # type: ignore[union-attr]


def test_bad_input_gets_4xx_not_500(eas: Eas) -> None:
    key = eas.provision()
    assert eas.request("FolderSync", b"\x03\x01\x6a\x00\x45", key=key)[0] == 400  # truncated WBXML
    assert eas.request("FolderSync", b"<xml/>", key=key)[0] == 400
    assert eas.request("Frobnicate", None, key=key)[0] == 501
    status, _, _ = eas.request("FolderSync", el(F, "FolderSync"), key=key, device="")
    assert status == 400
    big = b"\x03\x01\x6a\x00" + b"\x45" * (70 * 1024)
    assert eas.request("FolderSync", big, key=key)[0] == 413
