"""ActiveSync Sync, GetItemEstimate, Ping, folder commands and compose with our own WBXML codec
as the client, over real HTTP against two web servers on the real metadata service and S3:
WindowSize/MoreAvailable, body preferences with truncation, retried and wrong SyncKeys,
conflicts both ways, DeletesAsMoves, Ping statuses and wake-up, bad input answered with
protocol status codes."""

from __future__ import annotations

import threading
import time
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

from prometheus_client import REGISTRY

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.web.wbxml.codec import Element, decode, el
from tests.web.conftest import USER, Eas, F

S, E, B, G, PG, C = "AirSync", "Email", "AirSyncBase", "GetItemEstimate", "Ping", "ComposeMail"


def plain(subject: str, text: str = "hello\n") -> bytes:
    m = EmailMessage()
    m["From"] = "x@remote.test"
    m["To"] = USER
    m["Subject"] = subject
    m.set_content(text)
    return m.as_bytes(policy=SMTP)


def html_only(subject: str) -> bytes:
    m = EmailMessage()
    m["From"] = "x@remote.test"
    m["To"] = USER
    m["Subject"] = subject
    m.set_content("<p>hi <b>there</b></p>", subtype="html")
    return m.as_bytes(policy=SMTP)


def sync_req(cid: str, key: str, *extra: Element, window: int = 25, options: Element | None = None) -> Element:
    parts = [el(S, "SyncKey", key), el(S, "CollectionId", cid), el(S, "WindowSize", window), *extra]
    if options is not None:
        parts.append(options)
    return el(S, "Sync", el(S, "Collections", el(S, "Collection", *parts)))


def body_pref(kind: int, size: int | None = None) -> Element:
    parts = [el(B, "Type", kind)] + ([el(B, "TruncationSize", size)] if size is not None else [])
    return el(S, "Options", el(B, "BodyPreference", *parts))


def col(resp: Element) -> Element:
    c = resp.find(S, "Collections").find(S, "Collection")  # type: ignore[union-attr]
    assert c is not None
    return c


def status(e: Element, ns: str = S) -> str:
    return e.find(ns, "Status").value()  # type: ignore[union-attr]


def commands(c: Element, kind: str) -> list[Element]:
    cmds = c.find(S, "Commands")
    return cmds.findall(S, kind) if cmds is not None else []


def sid(e: Element) -> str:
    return e.find(S, "ServerId").value()  # type: ignore[union-attr]


def ready(eas: Eas) -> tuple[int, str]:
    key = eas.provision()
    eas.wbxml("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "0")), key)
    inbox = eas.mailbox_id("INBOX")
    c = col(eas.wbxml("Sync", sync_req(inbox, "0"), key))
    assert status(c) == "1" and c.find(S, "SyncKey").value() == "1"  # type: ignore[union-attr]
    return key, inbox


def flags(eas: Eas, mbid: str) -> dict[int, list[str]]:
    async def go() -> dict[int, list[str]]:
        r = await eas.client.messages.FetchMessages(
            messages_pb.FetchMessagesRequest(user_id=eas.user_id, mailbox_id=mbid, flags_only=True)
        )
        return {m.uid: list(m.flags) for m in r.messages}

    return dict(eas.loop.run(go()))


def store(eas: Eas, mbid: str, uid: int, flag: str, add: bool = True) -> None:
    mode = messages_pb.StoreFlagsRequest.MODE_ADD if add else messages_pb.StoreFlagsRequest.MODE_REMOVE

    async def go() -> None:
        await eas.mail.store_flags(eas.user_id, mbid, [types_pb.UidRange(lo=uid, hi=uid)], mode, [flag])

    eas.loop.run(go())


def test_window_more_available_body_preferences_and_sync_keys(eas: Eas) -> None:
    key, inbox = ready(eas)
    raws = [plain(f"m{i}", f"message number {i} with some text\n") for i in range(4)] + [html_only("h")]
    uids = [eas.deliver(r) for r in raws]
    seen: list[str] = []
    sync_key, rounds = "1", []
    while True:
        c = col(
            eas.wbxml(
                "Sync", sync_req(inbox, sync_key, window=2, options=body_pref(1, 10)), key, server=len(rounds) % 2
            )
        )
        adds = commands(c, "Add")
        rounds.append((len(adds), c.find(S, "MoreAvailable") is not None))
        seen += [sid(a) for a in adds]
        for a in adds:
            body = a.find(S, "ApplicationData").find(B, "Body")  # type: ignore[union-attr]
            data = body.find(B, "Data").value()  # type: ignore[union-attr]
            assert len(data.encode()) <= 10 and body.find(B, "Truncated").value() == "1"  # type: ignore[union-attr]
            assert int(body.find(B, "EstimatedDataSize").value()) > 10  # type: ignore[union-attr]
        prev_key, sync_key = sync_key, c.find(S, "SyncKey").value()  # type: ignore[union-attr]
        if not rounds[-1][1]:
            break
    assert rounds == [(2, True), (2, True), (1, False)]  # WindowSize 2 over 5 messages, on both pods
    assert seen == [f"{inbox}:{u}" for u in uids]
    # the device lost the last response and retries with the previous key: answered again
    c = col(eas.wbxml("Sync", sync_req(inbox, prev_key, window=2), key))
    assert [sid(a) for a in commands(c, "Add")] == seen[-1:]
    # a key it never had: Status 3; a collection that does not exist: Status 12
    assert status(col(eas.wbxml("Sync", sync_req(inbox, "9999"), key))) == "3"
    assert status(col(eas.wbxml("Sync", sync_req("no-such-folder", "1"), key))) == "12"
    # HTML and MIME through Sync's Fetch and ItemOperations
    html_pref = body_pref(2)
    c = col(
        eas.wbxml(
            "Sync",
            sync_req(
                inbox, sync_key, el(S, "Commands", el(S, "Fetch", el(S, "ServerId", seen[-1]))), options=html_pref
            ),
            key,
        )
    )
    fetched = c.find(S, "Responses").find(S, "Fetch")  # type: ignore[union-attr]
    html = fetched.find(S, "ApplicationData").find(B, "Body")  # type: ignore[union-attr]
    assert html.find(B, "Type").value() == "2" and "<b>there</b>" in html.find(B, "Data").value()  # type: ignore[union-attr]
    io = "ItemOperations"
    mime_pref = el(io, "Options", el(B, "BodyPreference", el(B, "Type", 4)))
    fetch = el(
        io, "Fetch", el(io, "Store", "Mailbox"), el(S, "CollectionId", inbox), el(S, "ServerId", seen[0]), mime_pref
    )
    req = el(io, "ItemOperations", fetch)
    resp = eas.wbxml("ItemOperations", req, key)
    props = resp.find(io, "Response").find(io, "Fetch").find(io, "Properties")  # type: ignore[union-attr]
    assert props.find(B, "Body").find(B, "Data").opaque == raws[0]  # type: ignore[union-attr]
    bad = el(io, "ItemOperations", el(io, "Fetch", el(io, "Store", "Mailbox"), el(B, "FileReference", "zz")))
    assert status(eas.wbxml("ItemOperations", bad, key).find(io, "Response").find(io, "Fetch"), io) == "15"  # type: ignore[union-attr]


def test_changes_conflicts_and_deletes(eas: Eas) -> None:
    key, inbox = ready(eas)
    u1, u2, u3 = (eas.deliver(plain(f"c{i}")) for i in range(3))
    c = col(eas.wbxml("Sync", sync_req(inbox, "1"), key))
    assert len(commands(c, "Add")) == 3
    k = c.find(S, "SyncKey").value()  # type: ignore[union-attr]
    # the server marks u1 read; the device, not knowing, marks it unread: the server wins (default)
    store(eas, inbox, u1, "\\Seen")
    change = el(S, "Change", el(S, "ServerId", f"{inbox}:{u1}"), el(S, "ApplicationData", el(E, "Read", 0)))
    c = col(eas.wbxml("Sync", sync_req(inbox, k, el(S, "Commands", change)), key))
    (back,) = commands(c, "Change")
    assert sid(back) == f"{inbox}:{u1}" and back.find(S, "ApplicationData").find(E, "Read").value() == "1"  # type: ignore[union-attr]
    assert "\\Seen" in flags(eas, inbox)[u1]
    k = c.find(S, "SyncKey").value()  # type: ignore[union-attr]
    # with Conflict 0 the device wins
    store(eas, inbox, u2, "\\Seen")
    change = el(S, "Change", el(S, "ServerId", f"{inbox}:{u2}"), el(S, "ApplicationData", el(E, "Read", 0)))
    c = col(
        eas.wbxml(
            "Sync", sync_req(inbox, k, el(S, "Commands", change), options=el(S, "Options", el(S, "Conflict", 0))), key
        )
    )
    assert commands(c, "Change") == [] and "\\Seen" not in flags(eas, inbox)[u2]
    k = c.find(S, "SyncKey").value()  # type: ignore[union-attr]
    # a Flag from the device, and a change to an id that is not ours: Status 8
    flag = el(
        S, "Change", el(S, "ServerId", f"{inbox}:{u3}"), el(S, "ApplicationData", el(E, "Flag", el(E, "FlagStatus", 2)))
    )
    alien = el(S, "Change", el(S, "ServerId", "elsewhere:7"), el(S, "ApplicationData", el(E, "Read", 1)))
    c = col(eas.wbxml("Sync", sync_req(inbox, k, el(S, "Commands", flag, alien)), key))
    (resp,) = c.find(S, "Responses").findall(S, "Change")  # type: ignore[union-attr]
    assert sid(resp) == "elsewhere:7" and status(resp) == "8"
    assert "\\Flagged" in flags(eas, inbox)[u3] and commands(c, "Change") == []
    k = c.find(S, "SyncKey").value()  # type: ignore[union-attr]
    # DeletesAsMoves 0: expunged, not moved to Trash
    delete = el(S, "Delete", el(S, "ServerId", f"{inbox}:{u3}"))
    c = col(eas.wbxml("Sync", sync_req(inbox, k, el(S, "DeletesAsMoves", 0), el(S, "Commands", delete)), key))
    assert u3 not in flags(eas, inbox) and flags(eas, eas.mailbox_id("Trash")) == {}
    k = c.find(S, "SyncKey").value()  # type: ignore[union-attr]

    # a server-side expunge becomes a Delete
    async def expunge() -> None:
        await eas.client.messages.Expunge(
            messages_pb.ExpungeRequest(user_id=eas.user_id, mailbox_id=inbox, uids=[types_pb.UidRange(lo=u2, hi=u2)])
        )

    eas.loop.run(expunge())
    c = col(eas.wbxml("Sync", sync_req(inbox, k), key))
    assert [sid(d) for d in commands(c, "Delete")] == [f"{inbox}:{u2}"]
    # GetItemEstimate: one new message since this key; a wrong key is Status 4
    k = c.find(S, "SyncKey").value()  # type: ignore[union-attr]
    eas.deliver(plain("new"))

    def estimate(sync_key: str) -> Element:
        req = el(
            G,
            "GetItemEstimate",
            el(G, "Collections", el(G, "Collection", el(S, "SyncKey", sync_key), el(G, "CollectionId", inbox))),
        )
        return eas.wbxml("GetItemEstimate", req, key, server=1).find(G, "Response")  # type: ignore[return-value]

    got = estimate(k)
    assert status(got, G) == "1" and got.find(G, "Collection").find(G, "Estimate").value() == "1"  # type: ignore[union-attr]
    assert status(estimate("4242"), G) == "4"


def test_bad_sync_input_gets_protocol_status(eas: Eas) -> None:
    key, inbox = ready(eas)
    # an empty Sync repeats the last one (ready's initial sync of the INBOX) with its current key
    assert col(eas.wbxml("Sync", None, key)).find(S, "SyncKey").value() == "1"  # type: ignore[union-attr]
    assert status(eas.wbxml("Sync", el(F, "FolderSync"), key)) == "4"
    no_key = el(S, "Sync", el(S, "Collections", el(S, "Collection", el(S, "CollectionId", inbox))))
    assert status(eas.wbxml("Sync", no_key, key)) == "4"
    assert eas.request("Sync", b"\x03\x01\x6a\x00\x45\x5c", key=key)[0] == 400  # truncated WBXML
    assert eas.request("Sync", b"\x03\x01\x6a\x00" + b"\x45" * (70 * 1024), key=key)[0] == 413
    assert status(col(eas.wbxml("Sync", sync_req(inbox, "x" * 40), key))) == "3"


def test_ping_statuses_and_wake_up_across_pods(eas: Eas) -> None:
    key, inbox = ready(eas)
    c = col(eas.wbxml("Sync", sync_req(inbox, "1"), key))
    assert status(c) == "1"

    def ping(hb: int | None, folders: list[str] | None, server: int = 0) -> Element:
        parts: list[Element] = []
        if hb is not None:
            parts.append(el(PG, "HeartbeatInterval", hb))
        if folders is not None:
            parts.append(
                el(PG, "Folders", *(el(PG, "Folder", el(PG, "Id", f), el(PG, "Class", "Email")) for f in folders))
            )
        return eas.wbxml("Ping", el(PG, "Ping", *parts), key, server=server, timeout=40)

    r = ping(0, [inbox])
    assert status(r, PG) == "5" and r.find(PG, "HeartbeatInterval").value() == "1"  # type: ignore[union-attr]
    r = ping(100, [inbox])
    assert status(r, PG) == "5" and r.find(PG, "HeartbeatInterval").value() == "30"  # type: ignore[union-attr]
    assert status(ping(5, None), PG) == "3"  # no folders, none remembered
    assert status(ping(5, ["not-a-folder"]), PG) == "7"
    t0 = time.monotonic()
    assert status(ping(1, [inbox]), PG) == "1"  # nothing changed: the heartbeat ran out
    assert 0.9 <= time.monotonic() - t0 < 5
    got: dict[str, Any] = {}

    def wait() -> None:
        t = time.monotonic()
        status_code, _, data = eas.request("Ping", None, key=key, server=0, timeout=40)  # the last Ping's folders
        got["status"], got["data"], got["took"] = status_code, data, time.monotonic() - t

    th = threading.Thread(target=wait)
    th.start()
    time.sleep(0.8)
    eas.deliver(plain("wake up"))  # through the metadata service, as any pod or IMAP would
    th.join(40)
    assert got["status"] == 200 and got["took"] < 10
    resp = decode(got["data"])
    assert status(resp, PG) == "2"
    assert [f.value() for f in resp.find(PG, "Folders").findall(PG, "Folder")] == [inbox]  # type: ignore[union-attr]
    sync_ok = REGISTRY.get_sample_value("kubemail_web_eas_commands_total", {"command": "Ping", "status": "2xx"})
    assert sync_ok is not None and sync_ok >= 5

    # a pod that shuts down answers its waiting Pings (Status 1) instead of cutting them
    th = threading.Thread(target=wait)
    got.clear()
    c = col(eas.wbxml("Sync", sync_req(inbox, c.find(S, "SyncKey").value()), key))  # type: ignore[union-attr]
    th.start()
    time.sleep(0.8)
    t0 = time.monotonic()
    eas.loop.run(eas.servers[0].stop())
    th.join(40)
    assert time.monotonic() - t0 < 5 and got["status"] == 200
    assert status(decode(got["data"]), PG) == "1"


def test_folder_commands(eas: Eas) -> None:
    key = eas.provision()
    fk = eas.wbxml("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "0")), key).find(F, "SyncKey").value()  # type: ignore[union-attr]
    r = eas.wbxml(
        "FolderCreate",
        el(
            F,
            "FolderCreate",
            el(F, "SyncKey", fk),
            el(F, "ParentId", "0"),
            el(F, "DisplayName", "Projects"),
            el(F, "Type", 12),
        ),
        key,
    )
    assert status(r, F) == "1"
    pid, fk = r.find(F, "ServerId").value(), r.find(F, "SyncKey").value()  # type: ignore[union-attr]
    r = eas.wbxml(
        "FolderCreate",
        el(
            F,
            "FolderCreate",
            el(F, "SyncKey", fk),
            el(F, "ParentId", pid),
            el(F, "DisplayName", "2026"),
            el(F, "Type", 12),
        ),
        key,
    )
    assert status(r, F) == "1"
    sub, fk = r.find(F, "ServerId").value(), r.find(F, "SyncKey").value()  # type: ignore[union-attr]
    assert eas.mailbox_id("Projects/2026") == sub
    dup = el(
        F,
        "FolderCreate",
        el(F, "SyncKey", fk),
        el(F, "ParentId", "0"),
        el(F, "DisplayName", "Projects"),
        el(F, "Type", 12),
    )
    assert status(eas.wbxml("FolderCreate", dup, key), F) == "2"
    stale = el(
        F, "FolderCreate", el(F, "SyncKey", "1"), el(F, "ParentId", "0"), el(F, "DisplayName", "X"), el(F, "Type", 12)
    )
    assert status(eas.wbxml("FolderCreate", stale, key), F) == "9"
    r = eas.wbxml(
        "FolderUpdate",
        el(
            F,
            "FolderUpdate",
            el(F, "SyncKey", fk),
            el(F, "ServerId", sub),
            el(F, "ParentId", "0"),
            el(F, "DisplayName", "Y2026"),
        ),
        key,
    )
    assert status(r, F) == "1"
    fk = r.find(F, "SyncKey").value()  # type: ignore[union-attr]
    assert eas.mailbox_id("Y2026") == sub  # renamed, same id
    inbox = eas.mailbox_id("INBOX")
    assert (
        status(eas.wbxml("FolderDelete", el(F, "FolderDelete", el(F, "SyncKey", fk), el(F, "ServerId", inbox)), key), F)
        == "3"
    )
    r = eas.wbxml("FolderDelete", el(F, "FolderDelete", el(F, "SyncKey", fk), el(F, "ServerId", pid)), key)
    assert status(r, F) == "1"
    fk = r.find(F, "SyncKey").value()  # type: ignore[union-attr]
    # the next FolderSync from the device's key has nothing to report: no echo of its own changes
    r = eas.wbxml("FolderSync", el(F, "FolderSync", el(F, "SyncKey", fk)), key)
    assert r.find(F, "Changes").find(F, "Count").value() == "0"  # type: ignore[union-attr]
    assert (
        status(eas.wbxml("FolderDelete", el(F, "FolderDelete", el(F, "SyncKey", fk), el(F, "ServerId", pid)), key), F)
        == "4"
    )


def test_compose_reply_forward_and_refusals(eas: Eas) -> None:
    key, inbox = ready(eas)
    uid = eas.deliver(plain("question", "are you coming?\n"))

    def compose(cmd: str, raw: bytes, *extra: Element) -> tuple[int, bytes]:
        st, _, data = eas.request(cmd, el(C, cmd, el(C, "ClientId", "c1"), *extra, el(C, "Mime", raw)), key=key)
        return st, data

    reply = (
        b"From: <alice@example.test>\r\nTo: bob@example.test\r\nBcc: carol@remote.test\r\n"
        b"Subject: Re: question\r\n\r\nyes\r\n"
    )
    source = el(C, "Source", el(C, "FolderId", inbox), el(C, "ItemId", f"{inbox}:{uid}"))
    assert compose("SmartReply", reply, source) == (200, b"")
    assert "\\Answered" in flags(eas, inbox)[uid]

    fwd = b"From: <alice@example.test>\r\nTo: bob@example.test\r\nSubject: Fwd: question\r\n\r\nsee below\r\n"
    assert compose("SmartForward", fwd, source) == (200, b"")
    assert "$Forwarded" in flags(eas, inbox)[uid]

    async def queue_depth() -> int:
        return int((await eas.client.outbound.Stats(outbound_pb.StatsRequest())).depth)

    assert eas.loop.run(queue_depth()) == 1  # the Bcc recipient of the reply is remote: queued

    async def bob_inbox() -> list[bytes]:
        res = await eas.client.directory.ResolveRecipients(
            directory_pb.ResolveRecipientsRequest(addresses=["bob@example.test"])
        )
        bob = res.results[0].user_ids[0]
        box = await eas.client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=bob, name="INBOX"))
        msgs = await eas.client.messages.FetchMessages(
            messages_pb.FetchMessagesRequest(user_id=bob, mailbox_id=box.mailbox.id)
        )
        return [await eas.mail.blobs.get(m.blob_id) for m in msgs.messages]

    got_reply, got_fwd = eas.loop.run(bob_inbox())
    assert got_reply.endswith(reply.replace(b"Bcc: carol@remote.test\r\n", b""))  # Bcc gone, the rest as sent
    assert b"Content-Type: message/rfc822" in got_fwd and b"are you coming?" in got_fwd
    sent = flags(eas, eas.mailbox_id("Sent"))
    assert len(sent) == 0  # SaveInSentItems was not asked for
    st, data = compose("SendMail", b"From: <mallory@example.test>\r\nTo: bob@example.test\r\n\r\nhi\r\n")
    assert st == 200 and status(decode(data), C) == "120"  # not the user's own address
    st, data = compose("SendMail", b"Subject: nobody\r\n\r\nhi\r\n")
    assert st == 200 and status(decode(data), C) == "119"  # no recipients
    st, data = compose("SendMail", b"To: nobody@example.test\r\n\r\nhi\r\n")
    assert st == 200 and status(decode(data), C) == "116"  # a local address nobody has
    st, data = compose("SendMail", b"To: bob@example.test\r\n\r\none too many\r\n")
    assert st == 200 and status(decode(data), C) == "115"  # the 4th message in the window: send quota
    missing = el(C, "Source", el(C, "FolderId", inbox), el(C, "ItemId", f"{inbox}:999"))
    st, data = compose("SmartReply", reply, missing)
    assert status(decode(data), C) == "150"


def test_every_command_answers_odd_bodies_without_a_500(eas: Eas) -> None:
    """Each command gets the others' roots, empty ones and half-formed ones: always a protocol
    answer (200 with a Status, or a 4xx), never a 500."""
    io, mv = "ItemOperations", "Move"
    bodies: list[Element | None] = [
        None,
        el(S, "Sync"),
        el(S, "Sync", el(S, "Collections", el(S, "Collection", el(S, "SyncKey", "1"), el(S, "CollectionId", "")))),
        el(F, "FolderSync"),
        el(F, "FolderCreate", el(F, "SyncKey", "1")),
        el(PG, "Ping", el(PG, "Folders")),
        el(PG, "Ping", el(PG, "HeartbeatInterval", "x")),
        el(G, "GetItemEstimate", el(G, "Collections", el(G, "Collection"))),
        el(io, "ItemOperations", el(io, "Fetch")),
        el(io, "ItemOperations", el(io, "Fetch", el(io, "Store", "Mailbox"), el(S, "ServerId", ":::"))),
        el(mv, "MoveItems", el(mv, "Move")),
        el(C, "SendMail", el(C, "Mime", b"\xff\xfe\x00garbage")),
        el(C, "SmartReply", el(C, "Mime", b"To: a@b\r\n\r\nx"), el(C, "Source")),
        el("Search", "Search", el("Search", "Store")),
        el("Search", "Search", el("Search", "Store", el("Search", "Name", "Mailbox"), el("Search", "Query"))),
        el(
            "Search",
            "Search",
            el("Search", "Store", el("Search", "Name", "GAL"), el("Search", "Query", el(S, "Class"))),
        ),
        el("Settings", "Settings", el("Settings", "Oof", el("Settings", "Set", el("Settings", "OofMessage")))),
        el("Settings", "Settings", el("Settings", "DeviceInformation")),
        el("ResolveRecipients", "ResolveRecipients", el("ResolveRecipients", "To")),
        el("Find", "Find", el("Find", "SearchId", "x"), el("Find", "ExecuteSearch", el("Find", "Query"))),
        el(
            "ResolveRecipients",
            "ResolveRecipients",
            el("ResolveRecipients", "To", "x"),
            el("ResolveRecipients", "Options", el("ResolveRecipients", "MaxAmbiguousRecipients", "99999999")),
        ),
    ]
    commands_ = [
        "Sync", "FolderSync", "FolderCreate", "FolderUpdate", "FolderDelete", "Ping", "GetItemEstimate",
        "ItemOperations", "MoveItems", "SendMail", "SmartReply", "SmartForward", "Search", "Settings",
        "ResolveRecipients", "Find",
    ]  # fmt: skip
    key = eas.provision()
    eas.wbxml("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "0")), key)
    for cmd in commands_:
        for body in bodies:
            st, _, data = eas.request(cmd, body, key=key)
            assert st in (200, 400), (cmd, body, st, data[:200])
            if st == 200 and data:
                decode(data)  # a well-formed WBXML answer


def test_odd_messages_sync_without_a_500(eas: Eas) -> None:
    """Raw 8-bit headers, a NUL in the body, a broken multipart and a big message: each becomes an
    Add (undecodable octets as U+FFFD), and MIME truncation cuts octets, not characters."""
    key, inbox = ready(eas)
    raws = [
        b"From: x@remote.test\r\nTo: alice@example.test\r\nSubject: caf\xe9 \xff\r\n\r\nbody \xe9\x00 end\r\n",
        b'From: x@remote.test\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nno end',
        b"Subject: big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "\u00e9".encode() * 300_000 + b"\r\n",
    ]
    for raw in raws:
        eas.deliver(raw)
    c = col(eas.wbxml("Sync", sync_req(inbox, "1", options=body_pref(1, 5)), key))
    adds = commands(c, "Add")
    assert len(adds) == 3
    data = [a.find(S, "ApplicationData") for a in adds]
    assert data[0].find(E, "Subject").value() == "caf\ufffd \ufffd"  # type: ignore[union-attr]
    big = data[2].find(B, "Body")  # type: ignore[union-attr]
    assert big.find(B, "Data").value() == "\u00e9\u00e9" and big.find(B, "Truncated").value() == "1"  # type: ignore[union-attr]
    io = "ItemOperations"
    mime_pref = el(io, "Options", el(B, "BodyPreference", el(B, "Type", 4), el(B, "TruncationSize", 33)))
    fetch = el(
        io,
        "Fetch",
        el(io, "Store", "Mailbox"),
        el(S, "CollectionId", inbox),
        el(S, "ServerId", sid(adds[0])),
        mime_pref,
    )
    props = (
        eas.wbxml("ItemOperations", el(io, "ItemOperations", fetch), key)
        .find(io, "Response")
        .find(io, "Fetch")
        .find(io, "Properties")
    )  # type: ignore[union-attr]
    assert props.find(B, "Body").find(B, "Data").opaque == raws[0][:33]  # type: ignore[union-attr]


def test_sync_waits_for_changes_like_ping(eas: Eas) -> None:
    key, inbox = ready(eas)
    c = col(eas.wbxml("Sync", sync_req(inbox, "1"), key))
    k = c.find(S, "SyncKey").value()  # type: ignore[union-attr]

    def waiting(hb: int) -> Element:
        req = sync_req(inbox, k)
        req.children.append(el(S, "HeartbeatInterval", hb))
        return req

    r = eas.wbxml("Sync", waiting(100), key)
    assert status(r) == "14" and r.find(S, "Limit").value() == "30"  # type: ignore[union-attr]
    t0 = time.monotonic()
    st, _, data = eas.request("Sync", waiting(1), key=key, timeout=30)
    assert (st, data) == (200, b"") and 0.9 <= time.monotonic() - t0 < 5  # nothing came: an empty response
    got: dict[str, Any] = {}

    def wait() -> None:
        t = time.monotonic()
        got["resp"], got["took"] = eas.wbxml("Sync", waiting(20), key, server=1, timeout=40), time.monotonic() - t

    th = threading.Thread(target=wait)
    th.start()
    time.sleep(0.8)
    uid = eas.deliver(plain("while you waited"))
    th.join(40)
    assert got["took"] < 10
    (add,) = commands(col(got["resp"]), "Add")
    assert sid(add) == f"{inbox}:{uid}"
