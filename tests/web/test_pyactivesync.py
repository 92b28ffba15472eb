"""The PyPI client pyactivesync (EAS 16.1) end to end against `python -m services.web`: provision,
folders, Sync of a message delivered by the SMTP process (subject, body, attachment byte-exact),
read and flag visible over IMAP and the reverse, move, delete both ways, attachment fetch,
SendMail to a local user with a copy in Sent, and Ping woken by that SMTP delivery.

pyactivesync speaks https only (its Transport builds `https://<server>/...`); TLS ends at the
Ingress in front of services/web, so the test points the client's base URL at the plain
listener, the one change made to it."""

from __future__ import annotations

import dataclasses
import email.policy
import imaplib
import smtplib
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pyactivesync import BodyType, Client, EmailChange, FolderType, OofState
from pyactivesync.exceptions import StatusError

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from tests.fixtures.seed import seed_domain, seed_user
from tests.fixtures.servers import LoopThread, ServiceProcess
from tests.imap.conftest import start_imap, stop_imap

pytestmark = pytest.mark.timeout(180)

ALICE, BOB, PASSWORD = "alice@example.test", "bob@example.test", "s3cret-pw"
ATTACHMENT = bytes(range(256)) * 40  # binary, every octet value


@dataclasses.dataclass
class World:
    web: int
    mx: int
    imap: int

    def client(self, device: str, user: str = ALICE) -> Client:
        c = Client("127.0.0.1", user, PASSWORD, device_id=device, timeout=60)
        c._transport.base_url = f"http://127.0.0.1:{self.web}/Microsoft-Server-ActiveSync"
        return c

    def imap_login(self, user: str = ALICE) -> imaplib.IMAP4:
        m = imaplib.IMAP4("127.0.0.1", self.imap)
        m.login(user, PASSWORD)
        return m


@pytest.fixture
def world(metadata: Any, tmp_path: Path) -> Iterator[World]:
    env = {
        **metadata.env,
        "KUBEMAIL_HOSTNAME": "mail.example.test",
        "KUBEMAIL_WEB_HOST": "127.0.0.1",
        "KUBEMAIL_WEB_EAS_PING_MIN_HEARTBEAT_SECONDS": "1",
        "KUBEMAIL_WEB_EAS_PING_RECHECK_SECONDS": "60",  # only the change feed can wake it in time
        "KUBEMAIL_LOG_LEVEL": "WARNING",
    }
    lt = LoopThread()

    async def seed() -> None:
        async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"], 10) as client:
            await seed_domain(client, "example.test")
            await seed_user(client, ALICE, PASSWORD)
            await seed_user(client, BOB, PASSWORD)

    lt.run(seed())
    lt.close()
    served = {**env, "KUBEMAIL_METRICS_HOST": "127.0.0.1"}
    web = ServiceProcess("web", served, tmp_path, log=tmp_path / "web.log").start()  # python -m services.web
    smtp_env = {
        **served,
        "KUBEMAIL_SMTP_HOST": "127.0.0.1",
        "KUBEMAIL_SMTP_SUBMISSION_PORT": "0",
        "KUBEMAIL_SMTP_SUBMISSIONS_PORT": "0",
        "KUBEMAIL_SMTP_MSG_RATE_LIMIT": "0",
    }
    smtp = ServiceProcess("smtp", smtp_env, tmp_path, log=tmp_path / "smtp.log").start()
    imap, imap_loop = start_imap(env)
    try:
        yield World(web.ports["http"], smtp.ports["mx"], imap.port_of("imap"))
    finally:
        stop_imap(imap, imap_loop)
        smtp.stop()
        assert web.stop() == 0  # a graceful stop


def _message(subject: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Sender <sender@remote.test>"
    msg["To"] = ALICE
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash(subject))}@remote.test>"
    msg.set_content(text)
    msg.add_attachment(ATTACHMENT, maintype="application", subtype="octet-stream", filename="data.bin")
    return msg.as_bytes(policy=email.policy.SMTP)


def _imap_flags(m: imaplib.IMAP4, mailbox: str = "INBOX") -> list[bytes]:
    m.select(mailbox)
    typ, data = m.fetch("1:*", "(FLAGS)")
    assert typ == "OK"
    return [d for d in data if isinstance(d, bytes)]


def test_pyactivesync_end_to_end(world: World) -> None:
    dev = world.client("PYAS0001")
    pinger = world.client("PYAS0002")
    dev.provision()
    pinger.provision()
    folders = dev.list_folders()
    by_type = {f.type: f for f in folders}
    inbox, sent, trash = by_type[FolderType.INBOX], by_type[FolderType.SENT_ITEMS], by_type[FolderType.DELETED_ITEMS]
    key = dev.sync_folder(inbox.id).sync_key  # bootstrap
    assert key == "1"
    empty = dev.sync_folder(inbox.id, key)
    assert empty.added == [] and not empty.more_available
    key = empty.sync_key
    pinger.list_folders()
    pkey = pinger.sync_folder(inbox.id).sync_key
    pkey = pinger.sync_folder(inbox.id, pkey).sync_key

    # Ping on the second device, woken by a delivery that the SMTP process makes
    result: dict[str, Any] = {}

    def ping() -> None:
        start_t = time.monotonic()
        result["ping"] = pinger.ping([inbox.id], heartbeat=40, timeout=60)
        result["took"] = time.monotonic() - start_t

    t = threading.Thread(target=ping)
    t.start()
    time.sleep(1.0)  # the Ping is waiting
    subject = "Quarterly report \u2014 r\u00e9sum\u00e9"
    text = "Hello Alice,\nthe numbers are attached.\n"
    raw = _message(subject, text)
    with smtplib.SMTP("127.0.0.1", world.mx) as s:
        assert s.sendmail("sender@remote.test", [ALICE], raw) == {}
    t.join(60)
    assert result["ping"].status == "2" and result["ping"].changed_folder_ids == [inbox.id]
    assert result["took"] < 20  # woken by the change feed, not the 40 s heartbeat

    got = dev.sync_folder(inbox.id, key)
    (item,) = got.added
    assert item.fields["Email.Subject"] == subject
    assert item.fields["Email.From"] == "Sender <sender@remote.test>"
    assert item.fields["Email.Read"] == "0"
    key = got.sync_key
    fetched = dev.fetch_item(inbox.id, item.server_id, body_type=BodyType.PLAIN_TEXT)
    assert fetched.body is not None and fetched.body.data == text.replace("\n", "\r\n")  # as on the wire
    m = world.imap_login()
    _, data = m.select("INBOX")
    _, data = m.fetch("1", "(BODY.PEEK[])")
    stored = data[0][1]  # type: ignore[index]
    assert stored.endswith(raw)  # SMTP put its Received field in front
    mime = dev.fetch_item(inbox.id, item.server_id, body_type=BodyType.MIME)
    assert mime.body is not None and mime.body.data == stored  # byte-exact
    (att,) = fetched.attachments
    assert att.display_name == "data.bin" and att.estimated_data_size == len(ATTACHMENT)
    assert dev.fetch_attachment(att.file_reference) == ATTACHMENT

    # read + flag from the device, visible over IMAP
    changed = dev.apply_email_changes(inbox.id, key, [EmailChange(item.server_id, read=True, flagged=True)])
    key = changed.sync_key
    (flags,) = _imap_flags(m)
    assert b"\\Seen" in flags and b"\\Flagged" in flags
    again = dev.sync_folder(inbox.id, key)  # the device's own change is not echoed back
    assert again.changed == [] and again.added == []
    key = again.sync_key
    # and the reverse: IMAP clears the flag, the next Sync carries the Change
    m.store("1", "-FLAGS", "(\\Flagged)")
    rev = dev.sync_folder(inbox.id, key)
    (ch,) = rev.changed
    assert ch.server_id == item.server_id and ch.fields["Email.Read"] == "1" and "Email.Status" not in ch.fields
    key = rev.sync_key

    # a wrong SyncKey is Status 3
    with pytest.raises(StatusError) as err:
        dev.sync_folder(inbox.id, "977")
    assert err.value.code == "3"

    # delete from the device: moved to Deleted Items
    dev.apply_email_changes(inbox.id, key, [EmailChange(item.server_id, delete=True)])
    _, data = m.select("INBOX")
    assert data == [b"0"]
    _, data = m.select("Trash")
    assert data == [b"1"]

    # SendMail to a local user: delivered, and a copy in Sent
    out = EmailMessage()
    out["From"] = ALICE
    out["To"] = BOB
    out["Subject"] = "lunch?"
    out.set_content("Noon at the usual place.\n")
    dev.send_mail(out)
    b = world.imap_login(BOB)
    _, data = b.select("INBOX")
    assert data == [b"1"]
    _, data = b.fetch("1", "(BODY.PEEK[])")
    assert data[0][1].endswith(out.as_bytes(policy=email.policy.SMTP))  # type: ignore[index]
    _, data = m.select("Sent")
    assert data == [b"1"]
    sent_sync = dev.sync_folder(sent.id)
    (sent_item,) = dev.sync_folder(sent.id, sent_sync.sync_key).added
    assert sent_item.fields["Email.Subject"] == "lunch?" and sent_item.fields["Email.Read"] == "1"

    # move from Sent to Deleted Items (MoveItems) and an IMAP expunge that becomes a Delete
    new_id = dev.move_item(sent_item.server_id, sent.id, trash.id)
    assert new_id.startswith(trash.id + ":")
    tkey = dev.sync_folder(trash.id).sync_key
    tr = dev.sync_folder(trash.id, tkey)
    assert sorted(a.server_id for a in tr.added)[-1] == new_id and len(tr.added) == 2
    m.select("Trash")
    m.store("1:*", "+FLAGS", "(\\Deleted)")
    m.expunge()
    gone = dev.sync_folder(trash.id, tr.sync_key)
    assert sorted(gone.deleted) == sorted(a.server_id for a in tr.added)
    m.logout()
    b.logout()
    dev.close()
    pinger.close()


def test_pyactivesync_folders_and_estimate(world: World) -> None:
    dev = world.client("PYAS0003")
    dev.provision()
    inbox = next(f for f in dev.list_folders() if f.type == FolderType.INBOX)
    key = dev.sync_folder(inbox.id).sync_key
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", world.mx) as s:
            s.sendmail("sender@remote.test", [ALICE], _message(f"estimate {i}", "x\n"))
    deadline = time.monotonic() + 20
    while dev.get_item_estimate(inbox.id, key) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dev.get_item_estimate(inbox.id, key) == 3
    first = dev.sync_folder(inbox.id, key, window_size=2)
    assert len(first.added) == 2 and first.more_available
    rest = dev.sync_folder(inbox.id, first.sync_key, window_size=2)
    assert len(rest.added) == 1 and not rest.more_available
    assert dev.get_item_estimate(inbox.id, rest.sync_key) == 0

    made = dev.create_folder("Receipts")
    sub = dev.create_folder("2026", parent_id=made.id)
    names = {f.id: (f.name, f.parent_id) for f in dev.list_folders()}
    assert names[made.id] == ("Receipts", "0") and names[sub.id] == ("2026", made.id)
    dev.update_folder(made.id, "Invoices")
    names = {f.id: f.name for f in dev.list_folders()}
    assert names[made.id] == "Invoices" and sub.id in names  # renamed with its child, ids kept
    m = world.imap_login()
    typ, listing = m.list()
    assert typ == "OK" and any(b"Invoices/2026" in line for line in listing if isinstance(line, bytes))
    dev.delete_folder(sub.id)
    assert sub.id not in {f.id for f in dev.list_folders()}
    with pytest.raises(StatusError) as err:
        dev.delete_folder(inbox.id)
    assert err.value.code == "3"  # a special folder
    m.logout()
    dev.close()


def test_pyactivesync_search_directory_and_settings(world: World, metadata: Any) -> None:
    dev = world.client("PYAS0003")
    dev.provision()
    # the DeviceInformation the client sends with Provision is kept in the device's record
    lt = LoopThread()

    async def record() -> devices_pb.Device:
        async with MetadataClient(metadata.env["KUBEMAIL_METADATA_ADDR"], 10) as client:
            user = await client.directory.GetUser(directory_pb.GetUserRequest(address=ALICE))
            req = devices_pb.GetDeviceRequest(user_id=user.user.id, device_id="PYAS0003")
            got = await client.devices.GetDevice(req)
            return got.device

    try:
        assert lt.run(record()).info.model == "pyactivesync"
    finally:
        lt.close()
    inbox = next(f for f in dev.list_folders() if f.type == FolderType.INBOX)
    with smtplib.SMTP("127.0.0.1", world.mx) as s:
        s.sendmail("sender@remote.test", [ALICE], _message("searchable quarterly report", "numbers inside\n"))
    # Search Store=Mailbox with a DateReceived condition (the client's Search form)
    found = dev.search_mailbox(inbox.id, date_received_after="2001-01-01T00:00:00.000Z", max_results=5)
    assert [r.get("Email.Subject") for r in found] == ["searchable quarterly report"]
    assert found[0]["AirSync.CollectionId"] == inbox.id
    assert dev.search_mailbox(inbox.id, date_received_after="2099-01-01T00:00:00.000Z") == []
    # FreeText goes through the EAS 16.1 Find command
    hits = dev.search_mailbox(inbox.id, free_text="quarterly")
    assert [h.get("Email.Subject") for h in hits] == ["searchable quarterly report"]
    assert hits[0]["AirSync.CollectionId"] == inbox.id and hits[0]["Find.HasAttachments"] == "1"
    assert hits[0]["AirSyncBase.Preview"].startswith("numbers inside")
    everywhere = dev.find_mailbox("QUARTERLY", max_results=3)
    assert everywhere.total == 1 and everywhere.range == "0-0"
    assert dev.find_mailbox("no such words anywhere").items == []
    assert [i.fields.get("GAL.EmailAddress") for i in dev.find_gal("bob@").items] == [BOB]
    # GAL and ResolveRecipients over the directory of alice's own domain
    gal = dev.search_gal("bo")
    assert [g.email_address for g in gal] == [BOB]
    assert dev.search_gal("nobody") == []
    resolved = dev.resolve_recipients(BOB)
    assert [(r.type, r.email_address) for r in resolved] == [("1", BOB)]
    assert dev.resolve_recipients("unknown@elsewhere.test") == []
    # Settings Oof: set scheduled with a message, read it back
    dev.set_oof(
        OofState.ENABLED_SCHEDULED,
        start_time="2026-12-24T00:00:00.000Z",
        end_time="2027-01-02T00:00:00.000Z",
        reply_message="Back in January",
    )
    oof = dev.get_oof()
    assert oof.state == OofState.ENABLED_SCHEDULED
    assert (oof.start_time, oof.end_time) == ("2026-12-24T00:00:00.000Z", "2027-01-02T00:00:00.000Z")
    assert {m.applies_to for m in oof.messages} == {"Internal", "ExternalKnown", "ExternalUnknown"}
    assert all(m.enabled and m.reply_message == "Back in January" for m in oof.messages)
    dev.set_oof(OofState.DISABLED)
    assert dev.get_oof().state == OofState.DISABLED
    with pytest.raises(StatusError):  # an end before the start: Status 5
        dev.set_oof(OofState.ENABLED_SCHEDULED, start_time="2027-01-02T00:00:00.000Z", end_time="2026-01-02T00:00:00Z")


def test_pyactivesync_filter_type(world: World) -> None:
    dev = world.client("PYAS0004")
    dev.provision()
    archive = next(f for f in dev.list_folders() if f.name == "Archive")
    m = world.imap_login()
    try:
        for subject, age_days in (("a month old", 30), ("two days old", 2), ("today", 0)):
            when = imaplib.Time2Internaldate(time.time() - age_days * 86400)
            typ, _ = m.append("Archive", "", when, _message(subject, "text\n"))
            assert typ == "OK"
    finally:
        m.logout()
    # FilterType 3 (one week) on the initial sync: the month-old message stays on the server
    key = dev.sync_folder(archive.id, filter_type="3").sync_key
    got = dev.sync_folder(archive.id, key, filter_type="3")
    assert sorted(i.fields["Email.Subject"] for i in got.added) == ["today", "two days old"]
    # a changed FilterType needs a new initial sync: Status 3, then everything with FilterType 0
    with pytest.raises(StatusError) as exc:
        dev.sync_folder(archive.id, got.sync_key, filter_type="0")
    assert exc.value.code == "3"
    key = dev.sync_folder(archive.id, filter_type="0").sync_key
    got = dev.sync_folder(archive.id, key)
    assert len(got.added) == 3
