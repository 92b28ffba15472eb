"""Unit tests without sockets: modified UTF-7, response formatting, LIST patterns, header
filtering, sequence sets."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.rpcerrors import MetadataError
from services.common.sasl import SaslFailure
from services.gen.kubemail.v1 import errors_pb2 as er
from services.imap import names, reasons, utf7, wire
from services.imap.sections import filter_header
from services.imap.selected import BadSequenceError, Selected, compress
from services.imap.session import Result, grpc_result


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("INBOX", "INBOX"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("a&b", "a&-b"),
        ("台北", "&U,BTFw-"),
        ("~peter/mail", "~peter/mail"),
    ],
)
def test_utf7_known_values(text: str, encoded: str) -> None:
    assert utf7.encode(text) == encoded
    assert utf7.decode(encoded) == text


@given(st.text(max_size=40).filter(lambda t: all(0x20 <= ord(c) for c in t)))
def test_utf7_roundtrip(text: str) -> None:
    enc = utf7.encode(text)
    assert enc.isascii()
    assert utf7.decode(enc) == text


@pytest.mark.parametrize("bad", ["&AGE-", "&Jjo", "&U,BTFw", "\u00e9"])
def test_utf7_rejects_malformed(bad: str) -> None:
    with pytest.raises(utf7.Utf7Error):
        utf7.decode(bad)


def test_wire_strings() -> None:
    assert wire.string(b"plain") == b'"plain"'
    assert wire.string(b'a"b\\c') == b'"a\\"b\\\\c"'
    assert wire.string(b"two\r\nlines") == b"{10}\r\ntwo\r\nlines"
    assert wire.string("é") == b"{2}\r\n\xc3\xa9"
    assert wire.nstring(None) == b"NIL"
    assert wire.astring(b"NIL") == b'"NIL"' and wire.astring(b"atom") == b"atom"
    assert wire.render([1, None, b"x", [wire.Atom("\\Seen")]]) == b'(1 NIL "x" (\\Seen))'
    assert wire.tagged("a1", "OK", "done\r\n", "READ-WRITE") == b"a1 OK [READ-WRITE] done??\r\n"


def test_list_patterns() -> None:
    assert names.matches("*", "a/b/c")
    assert names.matches("%", "a") and not names.matches("%", "a/b")
    assert names.matches("a/%", "a/b") and not names.matches("a/%", "a/b/c")
    assert names.matches("inbox", "INBOX") and names.matches("Inbox/%", "INBOX/x")
    assert names.pattern_of("Work/", "%") == "Work/%"
    assert names.decode(b"inbox/Sub", False) == "INBOX/Sub"
    with pytest.raises(names.NameError_):
        names.check_new("a//b")


def test_filter_header_keeps_continuations() -> None:
    h = b"Subject: one\r\n two\r\nFrom: x\r\nX-A: 1\r\n\r\n"
    assert filter_header(h, ("subject",), False) == b"Subject: one\r\n two\r\n\r\n"
    assert filter_header(h, ("subject",), True) == b"From: x\r\nX-A: 1\r\n\r\n"
    assert filter_header(h, ("nothing",), False) == b"\r\n"


def test_sequence_sets() -> None:
    sel = Selected("m", "INBOX", False, 1, 10, 5, [2, 4, 6, 8])
    assert sel.uids_of_seqs(((2, 3),)) == [4, 6]
    assert sel.uids_of_seqs(((None, 3),)) == [6, 8]
    assert sel.uids_of_uidset(((5, None),)) == [6, 8]
    assert sel.uids_of_uidset(((20, None),)) == [8]  # n:* always includes the last UID
    with pytest.raises(BadSequenceError):
        sel.uids_of_seqs(((5, 5),))
    assert compress([1, 2, 3, 5, 7, 8]) == "1:3,5,7:8"


@given(
    st.lists(st.integers(1, 300), unique=True).map(sorted),
    st.lists(st.integers(1, 300), unique=True).map(sorted),
)
def test_known_and_seqs_of(view: list[int], result: list[int]) -> None:
    """A search result checked against the view, by bisect (few UIDs) or by set (many)."""
    sel = Selected("m", "INBOX", False, 1, 301, 5, view)
    held = sel.known(result)
    assert held == [u for u in result if u in view]
    assert sel.seqs_of(held) == [view.index(u) + 1 for u in held]
    assert sel.known(iter(result)) == held
    big = Selected("m", "INBOX", False, 1, 10_001, 5, list(range(2, 10_001, 2)))  # the set branch
    assert big.known(range(1, 10_001, 3)) == [u for u in range(1, 10_001, 3) if u % 2 == 0]
    assert big.seqs_of([2, 4, 10_000]) == [1, 2, 5_000]


def test_metadata_failures_follow_the_reason_not_the_text() -> None:
    def result(reason: int, details: str, overrides: dict[int, reasons.Reply] | None = None) -> Result:
        return grpc_result(MetadataError(grpc.StatusCode.FAILED_PRECONDITION, reason, details), overrides)

    assert result(er.ERROR_REASON_KEYWORD_LIMIT, "no room").code == "LIMIT"
    assert result(er.ERROR_REASON_INVALID_ARGUMENT, "too many keywords").code == "CANNOT"
    assert result(er.ERROR_REASON_NO_SUCH_DESTINATION, "").code == "TRYCREATE"
    assert result(er.ERROR_REASON_NO_SUCH_MAILBOX, "[TRYCREATE]").code == "NONEXISTENT"
    assert result(er.ERROR_REASON_NO_SUCH_MAILBOX, "", reasons.APPEND).code == "TRYCREATE"
    assert result(er.ERROR_REASON_QUOTA_EXCEEDED, "").code == "OVERQUOTA"
    assert result(er.ERROR_REASON_MAILBOX_EXISTS, "").code == "ALREADYEXISTS"
    r = result(er.ERROR_REASON_BACKEND_UNAVAILABLE, "too many keywords")
    assert (r.status, r.code) == ("NO", "UNAVAILABLE")


def test_sasl_failures_follow_the_kind() -> None:
    assert reasons.sasl_reply(SaslFailure.MALFORMED, "invalid base64")[0] == "BAD"
    assert reasons.sasl_reply(SaslFailure.AUTHORIZATION, "x") == ("NO", "x", "AUTHORIZATIONFAILED")
    assert reasons.sasl_reply(SaslFailure.INVALID, "base64") == ("NO", "base64", "AUTHENTICATIONFAILED")
    assert set(reasons.SASL) == set(SaslFailure)
