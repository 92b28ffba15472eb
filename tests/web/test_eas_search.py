"""ActiveSync Search (mailbox and GAL), ResolveRecipients and Settings (Oof, DeviceInformation,
UserInformation) with our own WBXML codec over real HTTP on the real metadata service: results,
Range and Total, body preferences, the user's own domain only, and bad input answered with the
commands' status codes (never a 500)."""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.policy import SMTP

from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.web.wbxml.codec import Element, el
from tests.fixtures.seed import seed_user
from tests.web.conftest import PASSWORD, USER, Eas, F

SE, S, E, B, G, RR, ST = "Search", "AirSync", "Email", "AirSyncBase", "GAL", "ResolveRecipients", "Settings"
FI = "Find"


def message(subject: str, text: str, sender: str = "x@remote.test") -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = USER
    m["Subject"] = subject
    m.set_content(text)
    return m.as_bytes(policy=SMTP)


def ready(eas: Eas) -> int:
    key = eas.provision()
    eas.wbxml("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "0")), key)
    return key


def mailbox_search(*terms: Element, options: list[Element] | None = None) -> Element:
    store = [el(SE, "Name", "Mailbox"), el(SE, "Query", el(SE, "And", el(S, "Class", "Email"), *terms))]
    if options is not None:
        store.append(el(SE, "Options", *options))
    return el(SE, "Search", el(SE, "Store", *store))


def gal_search(query: str, rng: str = "0-9") -> Element:
    return el(SE, "Search", el(SE, "Store", el(SE, "Name", "GAL"), el(SE, "Query", query),
                               el(SE, "Options", el(SE, "Range", rng))))  # fmt: skip


def store_of(resp: Element) -> Element:
    assert resp.find(SE, "Status").value() == "1"  # type: ignore[union-attr]
    st = resp.find(SE, "Response").find(SE, "Store")  # type: ignore[union-attr]
    assert st is not None
    return st


def subjects(st: Element) -> list[str]:
    return [
        r.find(SE, "Properties").find(E, "Subject").value()  # type: ignore[union-attr]
        for r in st.findall(SE, "Result")
    ]


def test_mailbox_search_free_text_dates_range_and_bodies(eas: Eas) -> None:
    key = ready(eas)
    inbox, archive = eas.mailbox_id("INBOX"), eas.mailbox_id("Archive")
    for i in range(5):
        eas.deliver(message(f"report {i}", f"quarterly numbers {i}\n"))
    eas.deliver(message("lunch", "sandwiches\n", sender="Quentin <quentin@remote.test>"))
    eas.deliver(message("old report", "quarterly archive\n"), mailbox="Archive")
    # FreeText in one folder: newest first, Range and Total
    st = store_of(eas.wbxml("Search", mailbox_search(el(S, "CollectionId", inbox), el(SE, "FreeText", "quarterly"),
                                                     options=[el(SE, "Range", "0-2")]), key))  # fmt: skip
    assert st.find(SE, "Status").value() == "1"  # type: ignore[union-attr]
    assert subjects(st) == ["report 4", "report 3", "report 2"]
    assert st.find(SE, "Range").value() == "0-2" and st.find(SE, "Total").value() == "5"  # type: ignore[union-attr]
    first = st.findall(SE, "Result")[0]
    assert first.find(S, "CollectionId").value() == inbox  # type: ignore[union-attr]
    assert first.find(SE, "LongId").value().startswith(f"{inbox}:")  # type: ignore[union-attr]
    # the next page; the sender's name matches too (FreeText covers headers)
    st = store_of(eas.wbxml("Search", mailbox_search(el(S, "CollectionId", inbox), el(SE, "FreeText", "quarterly"),
                                                     options=[el(SE, "Range", "3-9")]), key))  # fmt: skip
    assert subjects(st) == ["report 1", "report 0"] and st.find(SE, "Range").value() == "3-4"  # type: ignore[union-attr]
    assert subjects(store_of(eas.wbxml("Search", mailbox_search(el(SE, "FreeText", "quentin")), key))) == ["lunch"]
    # every folder when no CollectionId is given; body preferences as in Sync (plain, truncated)
    pref = el(B, "BodyPreference", el(B, "Type", 1), el(B, "TruncationSize", 9))
    st = store_of(eas.wbxml("Search", mailbox_search(el(SE, "FreeText", "QUARTERLY"), options=[pref]), key))
    assert sorted(subjects(st)) == sorted([f"report {i}" for i in range(5)] + ["old report"])
    body = st.findall(SE, "Result")[0].find(SE, "Properties").find(B, "Body")  # type: ignore[union-attr]
    assert body.find(B, "Truncated").value() == "1"  # type: ignore[union-attr]
    assert len(body.find(B, "Data").value().encode()) <= 9  # type: ignore[union-attr]
    archived = [r for r in st.findall(SE, "Result") if r.find(S, "CollectionId").value() == archive]  # type: ignore[union-attr]
    assert len(archived) == 1
    # DateReceived comparisons
    future = el(SE, "GreaterThan", el(E, "DateReceived"), el(SE, "Value", "2099-01-01T00:00:00.000Z"))
    st = store_of(eas.wbxml("Search", mailbox_search(el(S, "CollectionId", inbox), future), key))
    assert st.findall(SE, "Result") == [] and st.find(SE, "Total").value() == "0"  # type: ignore[union-attr]
    past = el(SE, "GreaterThan", el(E, "DateReceived"), el(SE, "Value", "2001-01-01T00:00:00.000Z"))
    st = store_of(eas.wbxml("Search", mailbox_search(el(S, "CollectionId", inbox), past), key))
    assert st.find(SE, "Total").value() == "6"  # type: ignore[union-attr]


def test_mailbox_search_bad_input(eas: Eas) -> None:
    key = ready(eas)
    inbox = eas.mailbox_id("INBOX")

    def store_status(body: Element | bytes) -> str:
        return store_of(eas.wbxml("Search", body, key)).find(SE, "Status").value()  # type: ignore[union-attr]

    free = el(SE, "FreeText", "x")
    assert store_status(mailbox_search(el(S, "CollectionId", "no-such"), free)) == "6"
    assert store_status(mailbox_search(el(S, "CollectionId", inbox))) == "2"  # nothing to search for
    assert store_status(mailbox_search(free, options=[el(SE, "Range", "5-1")])) == "2"
    assert store_status(mailbox_search(free, options=[el(SE, "Range", "0-1000")])) == "2"
    assert store_status(mailbox_search(free, options=[el(SE, "Range", "x")])) == "2"
    assert store_status(mailbox_search(el(SE, "FreeText", "y" * 300))) == "2"
    bad_date = el(SE, "LessThan", el(E, "DateReceived"), el(SE, "Value", "yesterday"))
    assert store_status(mailbox_search(bad_date)) == "2"
    assert store_status(mailbox_search(el(SE, "EqualTo", el(E, "Subject"), el(SE, "Value", "x")))) == "2"
    assert store_status(el(SE, "Search", el(SE, "Store", el(SE, "Name", "DocumentLibrary"),
                                             el(SE, "Query", "x")))) == "2"  # fmt: skip
    resp = eas.wbxml("Search", el(F, "FolderSync"), key)
    assert resp.find(SE, "Status").value() == "2"  # type: ignore[union-attr]
    status, _, _ = eas.request("Search", None, key=key)
    assert status == 200
    status, _, _ = eas.request("Search", b"\x03\x01\x6a\x00\x45\x01\x01", key=key)  # truncated WBXML
    assert status == 400


def test_gal_search_and_resolve_recipients_stay_in_the_domain(eas: Eas) -> None:
    async def seed() -> None:
        await seed_user(eas.client, "bobby@example.test", PASSWORD, display_name="Bobby Tables")
        await seed_user(eas.client, "roberta@example.test", PASSWORD, display_name="Roberta Bobson")
        boris = await seed_user(eas.client, "boris@example.test", PASSWORD, display_name="Boris")
        boris.enabled = False
        await eas.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=boris))
        await seed_user(eas.client, "bob@other.test", PASSWORD, display_name="Bob Elsewhere")
        got = await eas.client.directory.GetUser(directory_pb.GetUserRequest(address="bob@example.test"))
        u = got.user
        u.aliases.append("robert@example.test")
        u.display_name = "Bob Builder"
        await eas.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=u))
        dom = (await eas.client.directory.GetDomain(directory_pb.GetDomainRequest(name="example.test"))).domain
        dom.catch_all = USER  # resolves any local part for mail, never for ResolveRecipients
        await eas.client.directory.UpsertDomain(directory_pb.UpsertDomainRequest(domain=dom))

    eas.loop.run(seed())
    key = ready(eas)
    st = store_of(eas.wbxml("Search", gal_search("bob"), key))
    found = [
        r.find(SE, "Properties").find(G, "EmailAddress").value()  # type: ignore[union-attr]
        for r in st.findall(SE, "Result")
    ]
    # bob (address), bobby (address), roberta (display name word); not the disabled user, not other.test
    assert found == ["bob@example.test", "bobby@example.test", "roberta@example.test"]
    assert st.find(SE, "Total").value() == "3"  # type: ignore[union-attr]
    props = st.findall(SE, "Result")[1].find(SE, "Properties")
    assert props.find(G, "DisplayName").value() == "Bobby Tables"  # type: ignore[union-attr]
    assert props.find(G, "LastName").value() == "Tables"  # type: ignore[union-attr]
    st = store_of(eas.wbxml("Search", gal_search("bob", "1-1"), key))
    assert len(st.findall(SE, "Result")) == 1 and st.find(SE, "Range").value() == "1-1"  # type: ignore[union-attr]
    assert st.find(SE, "Total").value() == "3"  # type: ignore[union-attr]  # every match, not just the page
    assert store_of(eas.wbxml("Search", gal_search("elsewhere"), key)).findall(SE, "Result") == []
    assert store_of(eas.wbxml("Search", gal_search("robert"), key)).find(SE, "Total").value() == "2"  # type: ignore[union-attr]
    bad = store_of(eas.wbxml("Search", gal_search(""), key))
    assert bad.find(SE, "Status").value() == "2"  # type: ignore[union-attr]

    def resolve(*tos: str, **opts: int) -> Element:
        options = [el(RR, k, v) for k, v in opts.items()]
        body = el(RR, "ResolveRecipients", *(el(RR, "To", t) for t in tos), el(RR, "Options", *options))
        return eas.wbxml("ResolveRecipients", body, key)

    resp = resolve(
        "robert@example.test", "bob", "nobody-here", "bob@other.test", "ROBERTA", "random@example.test",
        MaxAmbiguousRecipients=2,
    )  # fmt: skip
    assert resp.find(RR, "Status").value() == "1"  # type: ignore[union-attr]
    answers = {
        r.find(RR, "To").value(): (  # type: ignore[union-attr]
            r.find(RR, "Status").value(),  # type: ignore[union-attr]
            [x.find(RR, "EmailAddress").value() for x in r.findall(RR, "Recipient")],  # type: ignore[union-attr]
        )
        for r in resp.findall(RR, "Response")
    }
    assert answers == {
        "robert@example.test": ("1", ["bob@example.test"]),  # an alias resolves to the primary address
        "bob": ("3", ["bob@example.test", "bobby@example.test"]),  # 3 match, 2 shown
        "nobody-here": ("4", []),
        "bob@other.test": ("4", []),  # another domain is never looked up
        "ROBERTA": ("1", ["roberta@example.test"]),
        "random@example.test": ("4", []),  # the catch-all does not answer for it
    }
    resp = resolve("bob", MaxAmbiguousRecipients=5)
    assert resp.findall(RR, "Response")[0].find(RR, "Status").value() == "2"  # type: ignore[union-attr]
    for body in (el(RR, "ResolveRecipients"), el(RR, "ResolveRecipients", *(el(RR, "To", "a") for _ in range(101)))):
        assert eas.wbxml("ResolveRecipients", body, key).find(RR, "Status").value() == "5"  # type: ignore[union-attr]
    assert eas.wbxml("ResolveRecipients", el(SE, "Search"), key).find(RR, "Status").value() == "5"  # type: ignore[union-attr]


def settings(*parts: Element) -> Element:
    return el(ST, "Settings", *parts)


def test_settings_oof_device_and_user_information(eas: Eas) -> None:
    key = ready(eas)
    get = el(ST, "Oof", el(ST, "Get", el(ST, "BodyType", "Text")))
    resp = eas.wbxml("Settings", settings(get), key)
    oof = resp.find(ST, "Oof")
    assert resp.find(ST, "Status").value() == "1" and oof.find(ST, "Status").value() == "1"  # type: ignore[union-attr]
    assert oof.find(ST, "Get").find(ST, "OofState").value() == "0"  # type: ignore[union-attr]

    msg = el(ST, "OofMessage", Element(ST, "AppliesToInternal"), el(ST, "Enabled", 1),
             el(ST, "ReplyMessage", "Away until Monday"), el(ST, "BodyType", "Text"))  # fmt: skip
    ext = el(ST, "OofMessage", Element(ST, "AppliesToExternalUnknown"), el(ST, "Enabled", 0))
    put = el(ST, "Oof", el(ST, "Set", el(ST, "OofState", 2), el(ST, "StartTime", "2026-12-24T00:00:00.000Z"),
                           el(ST, "EndTime", "2027-01-02T00:00:00.000Z"), msg, ext))  # fmt: skip
    info = el(ST, "DeviceInformation", el(ST, "Set", el(ST, "Model", "Pixel 9"), el(ST, "OS", "Android 16"),
                                          el(ST, "FriendlyName", "Alice's phone")))  # fmt: skip
    resp = eas.wbxml("Settings", settings(put, info, el(ST, "UserInformation", Element(ST, "Get"))), key, server=1)
    assert resp.find(ST, "Oof").find(ST, "Status").value() == "1"  # type: ignore[union-attr]
    assert resp.find(ST, "DeviceInformation").find(ST, "Status").value() == "1"  # type: ignore[union-attr]
    ui = resp.find(ST, "UserInformation")
    account = ui.find(ST, "Get").find(ST, "Accounts").find(ST, "Account")  # type: ignore[union-attr]
    addrs = account.find(ST, "EmailAddresses")  # type: ignore[union-attr]
    assert addrs.find(ST, "PrimarySmtpAddress").value() == USER  # type: ignore[union-attr]

    # stored in the metadata service: visible from the other pod and through the RPCs
    got = eas.wbxml("Settings", settings(get), key).find(ST, "Oof").find(ST, "Get")  # type: ignore[union-attr]
    assert got.find(ST, "OofState").value() == "2"  # type: ignore[union-attr]
    assert got.find(ST, "StartTime").value() == "2026-12-24T00:00:00.000Z"  # type: ignore[union-attr]
    msgs = {m.children[0].tag: m for m in got.findall(ST, "OofMessage")}  # type: ignore[union-attr]
    assert msgs["AppliesToInternal"].find(ST, "ReplyMessage").value() == "Away until Monday"  # type: ignore[union-attr]
    assert msgs["AppliesToExternalUnknown"].find(ST, "Enabled").value() == "0"  # type: ignore[union-attr]

    async def stored() -> tuple[devices_pb.UserSettings, devices_pb.Device]:
        s = await eas.client.devices.GetUserSettings(devices_pb.GetUserSettingsRequest(user_id=eas.user_id))
        d = await eas.client.devices.GetDevice(devices_pb.GetDeviceRequest(user_id=eas.user_id, device_id="DEV0001"))
        return s.settings, d.device

    s, d = eas.loop.run(stored())
    assert s.oof.state == devices_pb.OutOfOffice.STATE_SCHEDULED and s.oof.internal_enabled
    assert s.oof.end_time - s.oof.start_time == 9 * 86400 and s.updated >= int(time.time()) - 60
    assert d.info.model == "Pixel 9" and d.info.os == "Android 16" and d.info.friendly_name == "Alice's phone"

    # bad input: per-part status codes
    def part_status(part: Element) -> str:
        return eas.wbxml("Settings", settings(part), key).find(ST, part.tag).find(ST, "Status").value()  # type: ignore[union-attr]

    assert part_status(el(ST, "Oof", el(ST, "Set", el(ST, "OofState", 7)))) == "5"
    assert part_status(el(ST, "Oof", el(ST, "Set", el(ST, "OofState", 2), el(ST, "StartTime", "2027-01-02T00:00:00Z"),
                                        el(ST, "EndTime", "2026-01-02T00:00:00Z")))) == "5"  # fmt: skip
    assert part_status(el(ST, "Oof", el(ST, "Set", el(ST, "OofState", 1), el(ST, "StartTime", "soon")))) == "5"
    two = el(ST, "OofMessage", Element(ST, "AppliesToInternal"), Element(ST, "AppliesToExternalKnown"))
    assert part_status(el(ST, "Oof", el(ST, "Set", two))) == "5"
    assert part_status(el(ST, "Oof")) == "2"
    assert part_status(el(ST, "DevicePassword", el(ST, "Set", el(ST, "Password", "x")))) == "7"
    assert part_status(el(ST, "UserInformation", Element(ST, "Set"))) == "2"
    for body in (settings(), el(SE, "Search")):
        assert eas.wbxml("Settings", body, key).find(ST, "Status").value() == "2"  # type: ignore[union-attr]
    # the bad Sets changed nothing
    got = eas.wbxml("Settings", settings(get), key).find(ST, "Oof").find(ST, "Get")  # type: ignore[union-attr]
    assert got.find(ST, "OofState").value() == "2"  # type: ignore[union-attr]


def test_find_mailbox_and_gal_and_bad_input(eas: Eas) -> None:
    key = ready(eas)
    inbox = eas.mailbox_id("INBOX")
    for i in range(3):
        eas.deliver(message(f"invoice {i}", f"amount due {i}\n"))
    sid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

    def find(criterion: Element, search_id: str = sid) -> Element:
        return eas.wbxml("Find", el(FI, "Find", el(FI, "SearchId", search_id), el(FI, "ExecuteSearch", criterion)), key)

    def mailbox(*terms: Element, rng: str = "0-9") -> Element:
        return el(FI, "MailBoxSearchCriterion", el(FI, "Query", *terms), el(FI, "Options", el(FI, "Range", rng)))

    resp = find(
        mailbox(el(FI, "FreeText", "invoice"), el(S, "Class", "Email"), el(S, "CollectionId", inbox), rng="0-1")
    )
    assert resp.find(FI, "Status").value() == "1"  # type: ignore[union-attr]
    r = resp.find(FI, "Response")
    assert r.find(FI, "Status").value() == "1" and r.find(FI, "Total").value() == "3"  # type: ignore[union-attr]
    subjects_ = [x.find(FI, "Properties").find(E, "Subject").value() for x in r.findall(FI, "Result")]  # type: ignore[union-attr]
    assert subjects_ == ["invoice 2", "invoice 1"] and r.find(FI, "Range").value() == "0-1"  # type: ignore[union-attr]
    gal = find(el(FI, "GalSearchCriterion", el(FI, "Query", "bob@ex")))
    props = gal.find(FI, "Response").find(FI, "Result").find(FI, "Properties")  # type: ignore[union-attr]
    assert props.find(G, "EmailAddress").value() == "bob@example.test"  # type: ignore[union-attr]

    def top(resp: Element) -> str:
        return resp.find(FI, "Status").value()  # type: ignore[union-attr]

    assert top(find(mailbox(el(FI, "FreeText", "x")), search_id="not-a-uuid")) == "2"
    assert top(find(mailbox(el(FI, "FreeText", "x"), rng="9-1"))) == "2"
    assert top(find(mailbox(el(S, "Class", "Email")))) == "2"  # nothing to search for
    assert top(find(el(FI, "GalSearchCriterion", el(FI, "Query")))) == "2"
    assert top(find(el(FI, "Query"))) == "2"
    assert top(eas.wbxml("Find", el(SE, "Search"), key)) == "2"
    unknown = find(mailbox(el(FI, "FreeText", "x"), el(S, "CollectionId", "gone")))
    assert unknown.find(FI, "Response").find(FI, "Status").value() == "3"  # type: ignore[union-attr]
