"""ENVELOPE and BODYSTRUCTURE rendered once at ingest (issue #14 item 3): build_summary stores the
bytes the IMAP server would render from the structure, for every shape of message; a rendering
over the cap is not stored; the fast quoting test answers as the plain definition does."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import given
from hypothesis import strategies as st

from services.common import bodystructure, imapstrings
from services.common.mime import build_summary


def _simple() -> bytes:
    return (
        b'From: "Bob \\"the\\" Builder" <bob@example.test>\r\nTo: alice@example.test, carol@example.test\r\n'
        b'Cc: Dan <dan@example.test>\r\nSubject: hello "world" \\ back\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n'
        b"Message-ID: <m1@example.test>\r\nIn-Reply-To: <m0@example.test>\r\n\r\nhi\r\n"
    )


def _multipart() -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Bob <bob@example.test>", "alice@example.test", "Gr\u00fc\u00dfe aus K\u00f6ln"
    m.set_content("text part\n")
    m.add_alternative("<p>html part</p>", subtype="html")
    m.add_attachment(b"\x00\x01binary" * 100, maintype="application", subtype="octet-stream", filename="a b.bin")
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "x@example.test", "inner"
    inner.set_content("forwarded\n")
    m.add_attachment(inner)
    return m.as_bytes()


def _long_and_8bit() -> bytes:
    return (
        b"From: bob@example.test\r\nSubject: " + b"long " * 300 + b"\r\n"
        b"To: \xc3\xa4lice@example.test\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xc3\xa4\r\n"
    )


def test_stored_renderings_equal_the_renderings_from_structure() -> None:
    for raw in (_simple(), _multipart(), _long_and_8bit(), b"no header at all", b""):
        s = build_summary(raw)
        assert s.imap_render == bodystructure.RENDER_VERSION
        assert s.imap_envelope == bodystructure.envelope(s.envelope), raw[:60]
        assert s.imap_bodystructure == bodystructure.body(s.body, True), raw[:60]
        assert bodystructure.stored_envelope(s) == s.imap_envelope
        # what FETCH sends for a summary stored before renderings existed: the same bytes
        old = type(s)()
        old.CopyFrom(s)
        bodystructure.drop_renderings(old)
        assert bodystructure.stored_envelope(old) == s.imap_envelope
        assert bodystructure.stored_bodystructure(old) == s.imap_bodystructure


def test_a_rendering_over_the_cap_is_not_stored() -> None:
    parts = b"".join(
        b'--b\r\nContent-Type: text/plain; name="part%d-%s.txt"\r\n\r\nx\r\n' % (i, b"n" * 200) for i in range(100)
    )
    raw = b"From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    s = build_summary(raw)
    assert len(bodystructure.body(s.body, True)) > bodystructure.MAX_PRERENDERED
    assert (s.imap_render, s.imap_envelope, s.imap_bodystructure) == (0, b"", b"")
    assert bodystructure.stored_bodystructure(s) == bodystructure.body(s.body, True)


def test_a_rendering_of_another_version_is_not_served() -> None:
    s = build_summary(_simple())
    s.imap_envelope, s.imap_render = b'("stale" NIL NIL NIL NIL NIL NIL NIL NIL NIL)', bodystructure.RENDER_VERSION + 1
    assert bodystructure.stored_envelope(s) == bodystructure.envelope(s.envelope)


def _quotable_by_definition(data: bytes, utf8: bool) -> bool:
    if len(data) > imapstrings.MAX_QUOTED:
        return False
    if utf8 and not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return all(c.isprintable() or c == " " for c in text)
    return all(0x20 <= b < 0x7F for b in data)


@given(
    st.one_of(st.binary(max_size=40), st.text(max_size=40).map(str.encode), st.binary(min_size=1020, max_size=1030)),
    st.booleans(),
)
def test_quotable_answers_as_its_definition(data: bytes, utf8: bool) -> None:
    assert imapstrings.quotable(data, utf8) == _quotable_by_definition(data, utf8)
