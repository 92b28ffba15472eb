"""services.imap.notify without sockets: filters (first match wins), the snapshot diff for
each event kind, the selected mailbox left to EXISTS / EXPUNGE, and the RFC 5465 event rules."""

from __future__ import annotations

from services.imap import notify
from services.imap.grammar_notify import EventGroup

ALL = ("MESSAGENEW", "MESSAGEEXPUNGE", "FLAGCHANGE", "MAILBOXNAME", "SUBSCRIPTIONCHANGE")


def box(name: str, messages: int = 0, modseq: int = 1, subscribed: bool = False, unseen: int = 0) -> notify.Box:
    return notify.Box(name, messages, messages + 1, 7, unseen, modseq, subscribed)


def state(*groups: EventGroup) -> notify.NotifyState:
    return notify.NotifyState.of(groups, lambda b: b.decode())


def test_diff_reports_each_kind_once() -> None:
    st = state(EventGroup("PERSONAL", (), ALL))
    st.snap = {"1": box("INBOX"), "2": box("A"), "3": box("Gone"), "4": box("Old")}
    new = {
        "1": box("INBOX", messages=1),
        "2": box("A", modseq=5, subscribed=True),
        "4": box("New"),
        "5": box("Made"),
    }
    got = notify.diff(st, new, selected_id=None)
    assert got == [
        notify.Report("STATUS", "INBOX"),
        notify.Report("LIST", "A", ("\\Subscribed",)),
        notify.Report("STATUS", "A"),
        notify.Report("LIST", "New", old_name="Old"),
        notify.Report("LIST", "Made"),
        notify.Report("LIST", "Gone", ("\\NonExistent",)),
    ]
    # the selected mailbox is never a STATUS
    assert notify.diff(st, new, selected_id="1")[0] != notify.Report("STATUS", "INBOX")


def test_first_matching_filter_decides() -> None:
    st = state(
        EventGroup("MAILBOXES", (b"A",), ()),
        EventGroup("SUBTREE", (b"L",), ("MESSAGENEW", "MESSAGEEXPUNGE")),
        EventGroup("INBOXES", (), ("MESSAGENEW", "MESSAGEEXPUNGE")),
    )
    st.snap = {"1": box("A"), "2": box("L/x"), "3": box("INBOX"), "4": box("LX")}
    new = {k: notify.Box(b.name, 3, 4, 7, 0, 9, False) for k, b in st.snap.items()}
    assert [r.name for r in notify.diff(st, new, None)] == ["L/x", "INBOX"]


def test_flag_changes_need_flagchange() -> None:
    st = state(EventGroup("PERSONAL", (), ("MESSAGENEW", "MESSAGEEXPUNGE")))
    st.snap = {"1": box("A")}
    assert notify.diff(st, {"1": box("A", modseq=9, unseen=1)}, None) == []


def test_rules() -> None:
    assert notify.check((EventGroup("PERSONAL", (), ("MESSAGENEW",)),))
    assert notify.check((EventGroup("PERSONAL", (), ("FLAGCHANGE",)),))
    assert notify.check((EventGroup("SELECTED", (), ("MAILBOXNAME",)),))
    assert notify.check((EventGroup("SELECTED", (), ()), EventGroup("SELECTED-DELAYED", (), ())))
    assert notify.check((EventGroup("PERSONAL", (), ALL), EventGroup("SELECTED", (), ALL[:3]))) is None
