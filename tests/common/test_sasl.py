"""services/common/sasl.py: PLAIN and LOGIN exchanges, errors, fuzzing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import sasl
from services.common.sasl import Challenge, Credentials, SaslCancelled, SaslError


def b64(b: bytes) -> bytes:
    return base64.b64encode(b)


def test_plain_with_initial_response() -> None:
    ex = sasl.new_exchange("plain")
    step = ex.start(b64(b"\x00alice@x.test\x00s3cret"))
    assert step == Credentials("alice@x.test", b"s3cret", "")


def test_plain_without_initial_response_gets_empty_challenge() -> None:
    ex = sasl.new_exchange("PLAIN")
    step = ex.start(None)
    assert isinstance(step, Challenge) and step.payload == b"" and step.encoded == b""
    assert ex.feed(b64(b"alice\x00alice\x00pw") + b"\r\n") == Credentials("alice", b"pw", "alice")


def test_plain_errors() -> None:
    cases = [
        (b64(b"bob\x00alice\x00pw"), "authorization identity not permitted"),
        (b64(b"\x00alice"), "malformed"),
        (b64(b"\x00alice\x00pw\x00x"), "malformed"),
        (b64(b"\x00\x00pw"), "empty authentication identity"),
        (b64(b"\x00alice\x00"), "empty password"),
        (b64(b"\x00\xff\xfe\x00pw"), "not UTF-8"),
        (b64(b"\x00al\x01ice\x00pw"), "control"),
        (b"not*base64", "invalid base64"),
        (b"YWJj=ZGVm", "invalid base64"),
        (b"A" * (sasl.MAX_RESPONSE + 4), "too long"),
        (b"=", "malformed"),  # empty initial response is not a PLAIN message
    ]
    for line, reason in cases:
        with pytest.raises(SaslError) as ei:
            sasl.new_exchange("PLAIN").start(line)
        assert reason in str(ei.value), (line, ei.value)


def test_cancel() -> None:
    ex = sasl.new_exchange("PLAIN")
    ex.start()
    with pytest.raises(SaslCancelled):
        ex.feed(b"*\r\n")
    lx = sasl.new_exchange("LOGIN")
    lx.start()
    lx.feed(b64(b"u"))
    with pytest.raises(SaslCancelled):
        lx.feed(b"*")


def test_login_two_prompts() -> None:
    ex = sasl.new_exchange("LOGIN")
    step = ex.start()
    assert isinstance(step, Challenge) and step.payload == b"Username:" and step.encoded == b"VXNlcm5hbWU6"
    step = ex.feed(b64(b"alice@x.test"))
    assert isinstance(step, Challenge) and step.encoded == b"UGFzc3dvcmQ6"
    assert ex.feed(b64(b"pw")) == Credentials("alice@x.test", b"pw")
    with pytest.raises(SaslError):
        ex.feed(b64(b"again"))


def test_login_initial_response_is_user_name() -> None:
    ex = sasl.new_exchange("LOGIN")
    step = ex.start(b64(b"alice"))
    assert step == Challenge(b"Password:")
    assert ex.feed(b64(b"pw")) == Credentials("alice", b"pw")


def test_login_errors() -> None:
    with pytest.raises(SaslError, match="empty user name"):
        sasl.new_exchange("LOGIN").start(b"=")
    ex = sasl.new_exchange("LOGIN")
    ex.start(b64(b"alice"))
    with pytest.raises(SaslError, match="empty password"):
        ex.feed(b"")


def test_unsupported_mechanism_and_restart() -> None:
    with pytest.raises(SaslError, match="unsupported"):
        sasl.new_exchange("CRAM-MD5")
    ex = sasl.new_exchange("PLAIN")
    ex.start()
    with pytest.raises(SaslError):
        ex.start()
    assert sasl.MECHANISMS == ("PLAIN", "LOGIN")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["PLAIN", "LOGIN"]), st.lists(st.binary(max_size=300), max_size=4), st.booleans())
def test_fuzz_never_crashes(mech: str, lines: list[bytes], encode: bool) -> None:
    ex = sasl.new_exchange(mech)
    try:
        step = ex.start(b64(lines[0]) if lines and encode else (lines[0] if lines else None))
        for line in lines[1:]:
            if isinstance(step, Credentials):
                break
            step = ex.feed(b64(line) if encode else line)
    except SaslError:
        return
    if isinstance(step, Credentials):
        assert step.authcid and step.password
        assert step.authzid in ("", step.authcid)


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        st.characters(min_codepoint=0x20, blacklist_characters="\x7f", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=40,
    ),
    st.binary(min_size=1, max_size=60).map(lambda b: b.replace(b"\x00", b"x")),
)
def test_fuzz_plain_roundtrip(user: str, pw: bytes) -> None:
    step = sasl.new_exchange("PLAIN").start(b64(b"\x00" + user.encode() + b"\x00" + pw))
    assert step == Credentials(user, pw, "")


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (b64(b"bob\x00alice\x00pw"), sasl.SaslFailure.AUTHORIZATION),
        (b64(b"b\x01ob\x00alice\x00pw"), sasl.SaslFailure.AUTHORIZATION),
        (b64(b"\x00alice"), sasl.SaslFailure.MALFORMED),
        (b64(b"\x00alice\x00p\x00w"), sasl.SaslFailure.MALFORMED),
        (b"not*base64", sasl.SaslFailure.MALFORMED),
        (b"A" * (sasl.MAX_RESPONSE + 4), sasl.SaslFailure.TOO_LONG),
        (b64(b"\x00alice\x00" + b"p" * (sasl.MAX_PASSWORD + 1)), sasl.SaslFailure.TOO_LONG),
        (b64(b"\x00\x00pw"), sasl.SaslFailure.INVALID),
        (b64(b"\x00alice\x00"), sasl.SaslFailure.INVALID),
        (b64(b"\x00\xff\xfe\x00pw"), sasl.SaslFailure.INVALID),
        (b"*", sasl.SaslFailure.CANCELLED),
    ],
)
def test_failure_kinds(line: bytes, kind: sasl.SaslFailure) -> None:
    """Sessions branch on the kind, never on the text."""
    with pytest.raises(SaslError) as ei:
        sasl.new_exchange("PLAIN").start(line)
    assert ei.value.kind is kind, (line, ei.value)


def test_unsupported_and_state_kinds() -> None:
    with pytest.raises(SaslError) as ei:
        sasl.new_exchange("CRAM-MD5")
    assert ei.value.kind is sasl.SaslFailure.UNSUPPORTED
    ex = sasl.new_exchange("LOGIN")
    ex.start()
    with pytest.raises(SaslError) as ei:
        ex.start()
    assert ei.value.kind is sasl.SaslFailure.STATE
