"""Input validation without sockets: mailbox names, flags, UID ranges, addresses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata import validate as v
from services.metadata.errors import Fail


@pytest.mark.parametrize(
    ("raw", "canon"),
    [("inbox", "INBOX"), ("InBox/Sub", "INBOX/Sub"), ("Sent", "Sent"), ("a/b/c", "a/b/c"), ("Grüße", "Grüße")],
)
def test_names_ok(raw: str, canon: str) -> None:
    assert v.mailbox_name(raw) == canon


@pytest.mark.parametrize(
    "bad", ["", "/", "/a", "a/", "a//b", "a\x00", "a\r\nb", "\x1b[1m", "x" * 513, "/".join("a" * 40), b"\xff\xfe"]
)
def test_names_rejected(bad: str | bytes) -> None:
    with pytest.raises(Fail):
        v.mailbox_name(bad)


@given(st.text(max_size=80))
def test_name_validation_never_crashes(s: str) -> None:
    try:
        out = v.mailbox_name(s)
    except Fail:
        return
    assert "//" not in out and not out.startswith("/") and not out.endswith("/")


def test_flags() -> None:
    assert v.flags(["\\seen", "\\SEEN", "$Label", "\\deleted"]) == ["\\Seen", "$Label", "\\Deleted"]
    for bad in (["\\Recent"], ["\\Bogus"], ["a b"], ["(x"], ["x" * 200], [f"k{i}" for i in range(100)]):
        with pytest.raises(Fail):
            v.flags(bad)


def test_uid_ranges_and_membership() -> None:
    R = types_pb.UidRange
    assert v.uid_ranges([R(lo=1, hi=0), R(lo=5, hi=3)], 10) == [1, 0, 5, 3]
    assert v.in_ranges(7, [5, 0], 7) and v.in_ranges(4, [5, 3], 9) and not v.in_ranges(9, [1, 3], 9)
    assert v.in_ranges(9, [20, 0], 9)  # 20:* with max 9 is 9:20
    with pytest.raises(Fail):
        v.uid_ranges([], 10)
    with pytest.raises(Fail):
        v.uid_ranges([R(lo=0, hi=3)], 10)
    with pytest.raises(Fail):
        v.uid_ranges([R(lo=1, hi=1)] * 11, 10)


def test_addresses() -> None:
    assert v.split_address("Bob+x@Example.TEST") == ("Bob+x", "example.test")
    for bad in ("", "bob", "@x.test", "bob@", "a b@x.test", "bob@-bad-.test", "x" * 400 + "@a.test"):
        assert v.split_address(bad) is None
