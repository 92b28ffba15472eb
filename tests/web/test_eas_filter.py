"""ActiveSync Sync FilterType (the initial sync's age window, kept with the collection, a change
asks the device to start over) and the empty Sync request (the last request repeated), with
our own WBXML codec over real HTTP on the real metadata service."""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.policy import SMTP

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.web.wbxml.codec import Element, decode, el
from tests.web.conftest import USER, Eas, F

S, E, G = "AirSync", "Email", "GetItemEstimate"
DAY = 86400


def message(subject: str) -> bytes:
    m = EmailMessage()
    m["From"] = "x@remote.test"
    m["To"] = USER
    m["Subject"] = subject
    m.set_content("text\n")
    return m.as_bytes(policy=SMTP)


def deliver_dated(eas: Eas, subject: str, age_days: float) -> int:
    """A message whose internal date is `age_days` ago (IMAP APPEND with a date)."""

    async def go() -> int:
        when = int(time.time() - age_days * DAY)
        resp = await eas.mail.append(eas.user_id, "INBOX", message(subject), f"t-{subject}", (), internal_date=when)
        return int(resp.uid)

    return int(eas.loop.run(go()))


def sync(cid: str, key: str, filter_type: int | None = None, *extra: Element) -> Element:
    opts = [el(S, "Options", el(S, "FilterType", filter_type))] if filter_type is not None else []
    coll = el(S, "Collection", el(S, "SyncKey", key), el(S, "CollectionId", cid), *opts, *extra)
    return el(S, "Sync", el(S, "Collections", coll))


def col(resp: Element) -> Element:
    c = resp.find(S, "Collections").find(S, "Collection")  # type: ignore[union-attr]
    assert c is not None
    return c


def adds(c: Element) -> list[str]:
    cmds = c.find(S, "Commands")
    return [
        a.find(S, "ApplicationData").find(E, "Subject").value()  # type: ignore[union-attr]
        for a in (cmds.findall(S, "Add") if cmds is not None else [])
    ]


def key_of(c: Element) -> str:
    return c.find(S, "SyncKey").value()  # type: ignore[union-attr]


def status_of(c: Element) -> str:
    return c.find(S, "Status").value()  # type: ignore[union-attr]


def test_filter_type_window_kept_and_changed(eas: Eas) -> None:
    key = eas.provision()
    eas.wbxml("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "0")), key)
    inbox = eas.mailbox_id("INBOX")
    old = deliver_dated(eas, "ten days old", 10)
    deliver_dated(eas, "two days old", 2)
    deliver_dated(eas, "fresh", 0)
    # FilterType 3 (one week) at the initial sync: the old message stays on the server
    c = col(eas.wbxml("Sync", sync(inbox, "0", 3), key))
    assert key_of(c) == "1"
    c = col(eas.wbxml("Sync", sync(inbox, "1"), key))  # later requests may leave it out: kept
    assert adds(c) == ["two days old", "fresh"]
    k = key_of(c)
    # a flag change of the message outside the window is not reported
    add = messages_pb.StoreFlagsRequest.MODE_ADD
    eas.loop.run(eas.mail.store_flags(eas.user_id, inbox, [types_pb.UidRange(lo=old, hi=old)], add, ["\\Seen"]))
    c = col(eas.wbxml("Sync", sync(inbox, k, 3), key))
    assert c.find(S, "Commands") is None and status_of(c) == "1"
    k = key_of(c)
    # a new message dated before the window (an APPEND of old mail) is not sent; a new one is
    deliver_dated(eas, "appended old", 30)
    deliver_dated(eas, "new", 0)
    c = col(eas.wbxml("Sync", sync(inbox, k), key, server=1))
    assert adds(c) == ["new"]
    k = key_of(c)
    est = el(G, "GetItemEstimate", el(G, "Collections", el(G, "Collection", el(S, "SyncKey", k),
                                                            el(G, "CollectionId", inbox))))  # fmt: skip
    resp = eas.wbxml("GetItemEstimate", est, key)
    assert resp.find(G, "Response").find(G, "Collection").find(G, "Estimate").value() == "0"  # type: ignore[union-attr]
    # a different FilterType with a current key: Status 3, the device starts over with 0
    assert status_of(col(eas.wbxml("Sync", sync(inbox, k, 0), key))) == "3"
    c = col(eas.wbxml("Sync", sync(inbox, "0", 0), key))
    c = col(eas.wbxml("Sync", sync(inbox, key_of(c)), key))
    assert adds(c) == ["ten days old", "two days old", "fresh", "appended old", "new"]
    # bad FilterType values: protocol error
    for bad in ("9", "x", "-1"):
        resp = eas.wbxml("Sync", sync(inbox, "0", bad), key)  # type: ignore[arg-type]
        assert resp.find(S, "Status").value() == "4"  # type: ignore[union-attr]


def test_empty_sync_repeats_the_last_request(eas: Eas) -> None:
    key = eas.provision()
    eas.wbxml("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "0")), key)
    inbox = eas.mailbox_id("INBOX")
    # nothing to repeat yet: Status 13 (send the full request)
    resp = eas.wbxml("Sync", None, key)
    assert resp.find(S, "Status").value() == "13"  # type: ignore[union-attr]
    c = col(eas.wbxml("Sync", sync(inbox, "0"), key))
    c = col(eas.wbxml("Sync", sync(inbox, key_of(c), None, el(S, "WindowSize", 1)), key))
    eas.deliver(message("one"))
    eas.deliver(message("two"))
    # the empty request repeats the collection, its WindowSize 1 and the current key (on the other pod too)
    c = col(eas.wbxml("Sync", None, key, server=1))
    assert adds(c) == ["one"] and c.find(S, "MoreAvailable") is not None
    c = col(eas.wbxml("Sync", b"", key))
    assert adds(c) == ["two"]
    # a Sync element without Collections repeats as well
    c = col(eas.wbxml("Sync", el(S, "Sync"), key))
    assert adds(c) == [] and status_of(c) == "1"
    # another device has nothing to repeat
    other = eas.provision(device="DEV0002")
    status, _, data = eas.request("Sync", None, key=other, device="DEV0002")
    assert status == 200 and decode(data).find(S, "Status").value() == "13"  # type: ignore[union-attr]
