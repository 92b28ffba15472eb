"""The RFC 5256 threading algorithms (services.imap.threads) on hand-made inputs: loops,
self-references, subject merging (into a message, into a new dummy, dummy with dummy), the
base subject's reply/forward marker (services.common.threadkeys.subject_key)."""

from __future__ import annotations

from services.common.threadkeys import subject_key
from services.imap.sorting import ThreadInput
from services.imap.threads import ordered_subject, references, render


def _m(uid: int, mid: str, refs: list[str], subject: str = "", date: int = 0) -> ThreadInput:
    base, refwd = subject_key(subject)
    return ThreadInput(uid, date or uid, base, refwd, mid, refs)


def _refs(msgs: list[ThreadInput]) -> str:
    return render(references(msgs), lambda u: u)


def test_subject_key_marks_replies_and_forwards() -> None:
    assert subject_key("Re: [list] Fwd: Hello (fwd)") == ("hello", True)
    assert subject_key("[list] Hello") == ("hello", False)
    assert subject_key("[Fwd: Hello]") == ("hello", True)
    assert subject_key("Hello") == ("hello", False)


def test_references_never_loops() -> None:
    # 1 says 2 is its parent, 2 says 1 is: the second link would close a loop
    assert _refs([_m(1, "a", ["b"]), _m(2, "b", ["a"])]) == "(2 1)"
    assert _refs([_m(1, "a", ["a"])]) == "(1)"  # a reference to itself is no parent
    # References "<b> <a>" against an existing a -> b: b is not made a's parent; 3 goes below a
    assert _refs([_m(1, "a", []), _m(2, "b", ["a"]), _m(3, "c", ["b", "a"])]) == "(1 (2)(3))"


def test_references_subject_merging() -> None:
    # neither is a reply: a new dummy holds both
    assert _refs([_m(1, "a", [], "hello"), _m(2, "b", [], "hello")]) == "((1)(2))"
    # a reply joins the original below it
    assert _refs([_m(1, "a", [], "Re: hello"), _m(2, "b", [], "hello")]) == "(2 1)"
    # two dummies (missing parents) with the same subject become one
    msgs = [
        _m(1, "a", ["x"], "topic"),
        _m(2, "b", ["x"], "topic"),
        _m(3, "c", ["y"], "Re: topic"),
        _m(4, "d", ["y"], "Re: topic"),
    ]
    assert _refs(msgs) == "((1)(2)(3)(4))"
    # an empty subject is never merged
    assert _refs([_m(1, "a", [], ""), _m(2, "b", [], "")]) == "(1)(2)"


def test_sent_date_orders_threads_and_siblings() -> None:
    msgs = [
        _m(1, "a", [], "x", 50),
        _m(2, "b", ["a"], "Re: x", 90),
        _m(3, "c", ["a"], "Re: x", 60),
        _m(4, "d", [], "y", 10),
    ]
    assert _refs(msgs) == "(4)(1 (3)(2))"
    assert render(ordered_subject(msgs), lambda u: u) == "(4)(1 (3)(2))"
