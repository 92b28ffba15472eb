"""services/common/mime.py: summaries, offsets, envelope, bounds, and fuzzing."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common import mime
from services.gen.kubemail.v1 import mime_pb2 as mime_pb

SAMPLE = (
    b'From: "Joe Q. Public" <john.q.public@example.com>\r\n'
    b"To: Mary Smith <mary@x.test>, jdoe@one.test, undisclosed-recipients:;\r\n"
    b"Cc: A Group:Ed Jones <c@a.test>,joe@where.test;\r\n"
    b"Reply-To: <@route.test,@r2.test:box@dom.test>\r\n"
    b"Subject: =?utf-8?q?caf=C3=A9?= =?utf-8?b?IG11c3Q=?=\r\n  folded\r\n"
    b"Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
    b"Message-ID: <1234@local.machine.example>\r\n"
    b"In-Reply-To: <parent@x.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-ID: <part1@x>\r\n"
    b"Content-Description: the text\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"hello=20\r\nworld\r\n"
    b"--XX\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"Subject: inner\r\n"
    b"From: a@b.c\r\n"
    b'Content-Type: multipart/alternative; boundary="YY"\r\n'
    b"\r\n"
    b"--YY\r\n\r\ninner plain\r\n"
    b"--YY\r\nContent-Type: text/html\r\n\r\n<p>inner html</p>\r\n"
    b"--YY--\r\n"
    b"\r\n"
    b"--XX\r\n"
    b'Content-Type: application/octet-stream; name="a \\"b\\".bin"\r\n'
    b"Content-Disposition: attachment; filename=a.bin; size=3\r\n"
    b"Content-Language: en, de\r\n"
    b"Content-Location: http://x.test/a\r\n"
    b"Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"AAEC\r\n"
    b"--XX--\r\n"
    b"epilogue\r\n"
)


def body_of(raw: bytes, p: mime_pb.BodyPart) -> bytes:
    return raw[p.body_offset : p.end_offset]


def header_of(raw: bytes, p: mime_pb.BodyPart) -> bytes:
    return raw[p.header_offset : p.body_offset]


def check_tree(s: mime_pb.MessageSummary, raw: bytes) -> None:
    """Structural invariants every summary must satisfy."""
    assert s.size == len(raw)
    assert s.raw_header == raw[: s.header_size]
    assert s.body.header_offset == 0 and s.body.body_offset == s.header_size and s.body.end_offset == len(raw)
    assert s.HasField("envelope")

    def rec(p: mime_pb.BodyPart, lo: int, hi: int, depth: int) -> int:
        assert depth <= mime.MAX_DEPTH + 1
        assert lo <= p.header_offset <= p.body_offset <= p.end_offset <= hi
        assert p.size == p.end_offset - p.body_offset
        assert p.type == p.type.lower() and p.subtype == p.subtype.lower()
        assert p.encoding and p.encoding == p.encoding.upper()
        n = 1
        if p.type == "multipart":
            assert len(p.parts) >= 1
            prev = p.body_offset
            for c in p.parts:
                assert c.header_offset >= prev
                n += rec(c, p.body_offset, p.end_offset, depth + 1)
                prev = c.end_offset
        elif p.parts:
            assert mime.is_message(p) and p.HasField("envelope")
            c = p.parts[0]
            assert c.header_offset == p.body_offset and c.end_offset == p.end_offset
            n += rec(c, p.body_offset, p.end_offset, depth + 1)
        if p.type in ("text",) or mime.is_message(p):
            body = raw[p.body_offset : p.end_offset]
            expect = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
            assert p.lines == expect
        return n

    total = rec(s.body, 0, len(raw), 0)
    assert total <= mime.MAX_PARTS + mime.MAX_PARTS  # real parts plus stand-ins
    assert mime_pb.MessageSummary.FromString(s.SerializeToString()) == s


def ns(x: mime_pb.NString, owner: object, field: str) -> bytes | None:
    return x.value if owner.HasField(field) else None  # type: ignore[attr-defined]


def addrs(lst: object) -> list[tuple[bytes | None, ...]]:
    out = []
    for a in lst:  # type: ignore[attr-defined]
        out.append(tuple(getattr(a, f).value if a.HasField(f) else None for f in ("name", "adl", "mailbox", "host")))
    return out


def test_sample_structure_and_offsets() -> None:
    s = mime._build(SAMPLE)
    check_tree(s, SAMPLE)
    assert s.raw_header.endswith(b'boundary="XX"\r\n\r\n')
    root = s.body
    assert (root.type, root.subtype) == ("multipart", "mixed")
    assert [(p.name, p.value) for p in root.params] == [("boundary", b"XX")]
    assert len(root.parts) == 3
    text, msg, att = root.parts
    assert body_of(SAMPLE, text) == b"hello=20\r\nworld"
    assert header_of(SAMPLE, text).startswith(b"Content-Type: text/plain") and header_of(SAMPLE, text).endswith(
        b"\r\n\r\n"
    )
    assert text.encoding == "QUOTED-PRINTABLE" and text.lines == 2 and text.size == 15
    assert text.id.value == b"<part1@x>" and text.description.value == b"the text"
    assert not text.HasField("md5") and not text.HasField("disposition") and not text.HasField("location")
    assert [(p.name, p.value) for p in text.params] == [("charset", b"utf-8")]

    assert mime.is_message(msg)
    assert msg.envelope.subject.value == b"inner"
    inner = msg.parts[0]
    assert body_of(SAMPLE, msg).startswith(b"Subject: inner") and body_of(SAMPLE, msg).endswith(b"--YY--\r\n")
    assert (
        header_of(SAMPLE, inner)
        == b'Subject: inner\r\nFrom: a@b.c\r\nContent-Type: multipart/alternative; boundary="YY"\r\n\r\n'
    )
    alt_plain, alt_html = inner.parts
    assert (alt_plain.type, alt_plain.subtype) == ("text", "plain")
    assert [(p.name, p.value) for p in alt_plain.params] == [("charset", b"us-ascii")]
    assert body_of(SAMPLE, alt_plain) == b"inner plain"
    assert header_of(SAMPLE, alt_plain) == b"\r\n"
    assert body_of(SAMPLE, alt_html) == b"<p>inner html</p>"
    assert msg.lines == body_of(SAMPLE, msg).count(b"\n")

    assert (att.type, att.subtype, att.encoding) == ("application", "octet-stream", "BASE64")
    assert [(p.name, p.value) for p in att.params] == [("name", b'a "b".bin')]
    assert att.disposition.type == "attachment"
    assert [(p.name, p.value) for p in att.disposition.params] == [("filename", b"a.bin"), ("size", b"3")]
    assert list(att.language) == ["en", "de"]
    assert att.location.value == b"http://x.test/a"
    assert att.md5.value == b"Q2hlY2sgSW50ZWdyaXR5IQ=="
    assert body_of(SAMPLE, att) == b"AAEC"
    assert att.lines == 0  # only text/* and message/rfc822 carry lines


def test_envelope_fields_and_groups() -> None:
    env = mime._build(SAMPLE).envelope
    assert env.date.value == b"Tue, 1 Jul 2003 10:52:37 +0200"
    assert env.subject.value == b"=?utf-8?q?caf=C3=A9?= =?utf-8?b?IG11c3Q=?=  folded"  # raw, unfolded
    assert env.message_id.value == b"<1234@local.machine.example>"
    assert env.in_reply_to.value == b"<parent@x.test>"
    assert addrs(getattr(env, "from")) == [(b"Joe Q. Public", None, b"john.q.public", b"example.com")]
    assert addrs(env.sender) == addrs(getattr(env, "from"))  # defaulted from From
    assert addrs(env.reply_to) == [(None, b"@route.test,@r2.test", b"box", b"dom.test")]
    assert addrs(env.to) == [
        (b"Mary Smith", None, b"mary", b"x.test"),
        (None, None, b"jdoe", b"one.test"),
        (None, None, b"undisclosed-recipients", None),  # group start
        (None, None, None, None),  # group end
    ]
    assert addrs(env.cc) == [
        (None, None, b"A Group", None),
        (b"Ed Jones", None, b"c", b"a.test"),
        (None, None, b"joe", b"where.test"),
        (None, None, None, None),
    ]
    assert len(env.bcc) == 0


def test_envelope_absent_fields_are_nil() -> None:
    s = mime._build(b"X-Foo: bar\r\n\r\nbody\r\n")
    env = s.envelope
    for f in ("date", "subject", "in_reply_to", "message_id"):
        assert not env.HasField(f)
    assert len(getattr(env, "from")) == 0 and len(env.sender) == 0 and len(env.reply_to) == 0
    # an empty Subject is "", not NIL
    s2 = mime._build(b"Subject:\r\n\r\n")
    assert s2.envelope.HasField("subject") and s2.envelope.subject.value == b""


def test_address_edge_cases() -> None:
    P = mime.parse_addresses
    assert P(b"a@b.c (Comment Name)") == [(b"Comment Name", None, b"a", b"b.c")]
    assert P(b'"Last, First" <f.l@x.test>') == [(b"Last, First", None, b"f.l", b"x.test")]
    assert P(b"John Q. Public <jqp@x>") == [(b"John Q. Public", None, b"jqp", b"x")]
    assert P(b"<>") == [(None, None, b"", b"")]
    assert P(b"nodomain") == [(None, None, b"nodomain", b"")]
    assert P(b"a@[127.0.0.1]") == [(None, None, b"a", b"[127.0.0.1]")]
    assert P(b", ,,") == []
    assert P(b"=?utf-8?q?J=C3=B6rg?= <j@x>") == [(b"=?utf-8?q?J=C3=B6rg?=", None, b"j", b"x")]
    assert P("Jörg <j@x>".encode()) == [("Jörg".encode(), None, b"j", b"x")]
    assert P(b"g: ;") == [(None, None, b"g", None), (None, None, None, None)]
    # garbage never raises
    for junk in (b"<<<@@@>>>", b'"unterminated', b"(unterminated", b"a@", b"@", b":;:;", b"\x00\xff<"):
        P(junk)


def test_lf_only_message_offsets() -> None:
    raw = SAMPLE.replace(b"\r\n", b"\n")
    s = mime._build(raw)
    check_tree(s, raw)
    text, msg, att = s.body.parts
    assert body_of(raw, text) == b"hello=20\nworld"
    assert body_of(raw, msg.parts[0].parts[0]) == b"inner plain"
    assert body_of(raw, att) == b"AAEC"
    assert s.raw_header.endswith(b'"XX"\n\n')


def test_find_part_paths() -> None:
    s = mime._build(SAMPLE)
    f = mime.find_part
    assert f(s.body, [1]).subtype == "plain"
    assert f(s.body, [2]).subtype == "rfc822"
    assert body_of(SAMPLE, f(s.body, [2, 1])) == b"inner plain"  # 2.1: first part of the inner message
    assert body_of(SAMPLE, f(s.body, [2, 2])) == b"<p>inner html</p>"
    assert f(s.body, [2, 3]) is None
    assert f(s.body, [1, 1]) is None
    assert f(s.body, [4]) is None and f(s.body, [0]) is None
    assert f(s.body, []) is s.body
    single = mime._build(b"Subject: x\r\n\r\nonly\r\n")
    assert f(single.body, [1]) == single.body
    assert f(single.body, [2]) is None
    # message/rfc822 whose body is not multipart: 2.1 is its body
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: s\r\n\r\nleaf\r\n--b--\r\n"
    )
    s2 = mime._build(raw)
    assert body_of(raw, f(s2.body, [2, 1])) == b"leaf"


def test_boundary_prefix_and_missing_close() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=ab\r\n\r\n"
        b"--ab\r\n\r\nline\r\n--abc\r\nnot a boundary\r\n x--ab\r\n"
        b"--ab  \r\n\r\nsecond (no close delimiter)"
    )
    s = mime._build(raw)
    check_tree(s, raw)
    assert len(s.body.parts) == 2
    assert body_of(raw, s.body.parts[0]) == b"line\r\n--abc\r\nnot a boundary\r\n x--ab"
    assert body_of(raw, s.body.parts[1]) == b"second (no close delimiter)"


def test_multipart_without_boundary_or_parts_gets_stand_in() -> None:
    for raw in (
        b"Content-Type: multipart/mixed\r\n\r\nno boundary\r\n",
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno delimiter at all\r\n",
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz--\r\n",
    ):
        s = mime._build(raw)
        check_tree(s, raw)
        (child,) = s.body.parts
        assert (child.type, child.subtype, child.size) == ("text", "plain", 0)


def test_digest_defaults_to_message_rfc822() -> None:
    raw = (
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n"
        b"--d\r\n\r\nSubject: one\r\n\r\nbody1\r\n"
        b"--d\r\nContent-Type: text/plain\r\n\r\nplain\r\n--d--\r\n"
    )
    s = mime._build(raw)
    first, second = s.body.parts
    assert mime.is_message(first) and first.envelope.subject.value == b"one"
    assert (second.type, second.subtype) == ("text", "plain")


def test_non_identity_encoded_message_rfc822_is_a_leaf() -> None:
    raw = b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp4\r\n"
    s = mime._build(raw)
    assert s.body.type == "message" and not s.body.parts and not mime.is_message(s.body)


def test_malformed_content_type_defaults_to_text_plain() -> None:
    for ct in (b"garbage", b"/", b"text/", b";;;", b""):
        raw = b"Content-Type: " + ct + b"\r\n\r\nx"
        s = mime._build(raw)
        assert (s.body.type, s.body.subtype) == ("text", "plain")
    s = mime._build(b'Content-Type: TEXT/HTML (comment); CHARSET="ISO-8859-1" (c); junk; x=\r\n\r\nx')
    assert (s.body.type, s.body.subtype) == ("text", "html")
    assert [(p.name, p.value) for p in s.body.params] == [("charset", b"ISO-8859-1")]


def test_header_only_and_empty_messages() -> None:
    for raw in (b"", b"\r\n", b"\n", b"Subject: no body", b"Subject: x\r\n", b"\r\nbody only"):
        s = mime._build(raw)
        check_tree(s, raw)
    s = mime._build(b"Subject: no body")
    assert s.header_size == len(b"Subject: no body") and s.body.size == 0
    s = mime._build(b"\r\nbody only")
    assert s.header_size == 2 and s.raw_header == b"\r\n" and s.body.size == 9


def test_nesting_depth_bound() -> None:
    depth = 60
    raw = b""
    for i in range(depth):
        raw += f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
    raw += b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    for i in reversed(range(depth)):
        raw += f"--b{i}--\r\n".encode()
    s = mime._build(raw)
    check_tree(s, raw)
    d, p = 0, s.body
    while p.parts:
        p, d = p.parts[0], d + 1
    assert d <= mime.MAX_DEPTH + 1


def test_part_count_bound() -> None:
    n = mime.MAX_PARTS + 300
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\n\r\nx\r\n" * n + b"--b--\r\n"
    s = mime._build(raw)
    check_tree(s, raw)
    assert len(s.body.parts) == mime.MAX_PARTS - 1  # the root counts too
    assert all(body_of(raw, p) == b"x" for p in s.body.parts)


def test_sent_date() -> None:
    d = lambda v: mime._build(b"Date: " + v + b"\r\n\r\n").sent_date  # noqa: E731
    assert d(b"Thu, 01 Jan 1970 00:01:00 +0000") == 60
    assert d(b"Thu, 01 Jan 1970 01:01:00 +0100") == 60
    assert d(b"1 Jan 1970 00:01:00 -0000") == 60
    assert d(b"not a date") == 0
    assert d(b"Mon, 99 Foo 99999 99:99:99 +9999") == 0
    assert mime._build(b"Subject: x\r\n\r\n").sent_date == 0


def test_search_headers_decoded() -> None:
    raw = (
        b"Subject: =?iso-8859-1?q?Gr=FC=DFe?= =?ISO-8859-1?Q?_aus?=\r\n\tBerlin\r\n"
        b"From: =?utf-8?b?SsO2cmc=?= <j@x>\r\n"
        b"X-Bad: =?no-such-charset?q?abc?= =?utf-8?b?!!!?=\r\n"
        b"X-Raw: \xc3\xa4 and \xff\r\n"
        b"\r\n"
    )
    s = mime._build(raw)
    h = {f.name: f.value for f in s.headers}
    assert h["subject"] == "Grüße aus\tBerlin"
    assert h["from"] == "Jörg <j@x>"
    assert "abc" in h["x-bad"]
    assert h["x-raw"] == "Ã¤ and ÿ"  # not UTF-8 -> latin-1
    assert s.has_8bit
    assert not mime._build(b"Subject: ascii\r\n\r\nbody").has_8bit


def test_decoded_text() -> None:
    msg = EmailMessage()
    msg["Subject"] = "t"
    msg.set_content("Grüße in plain\n", charset="utf-8", cte="base64")
    msg.add_alternative("<p>Käse im HTML</p>\n", subtype="html", charset="iso-8859-1", cte="quoted-printable")
    msg.add_attachment(b"\x00BINARY-NOT-TEXT", maintype="application", subtype="octet-stream", filename="b")
    raw = msg.as_bytes(policy=email.policy.SMTP)
    text = mime.decoded_text(raw)
    assert "Grüße in plain" in text
    assert "Käse im HTML" in text
    assert "BINARY-NOT-TEXT" not in text
    assert mime.decoded_text(b"") == ""
    assert mime.decoded_text(b"Content-Transfer-Encoding: base64\r\n\r\n!!!*** ===") == ""


def _stdlib_leaves(raw: bytes) -> list[tuple[str, bytes]]:
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = []
    for part in m.walk():
        if part.is_multipart():
            continue
        out.append((part.get_content_type(), part.get_payload(decode=True) or b""))
    return out


def _our_leaves(raw: bytes) -> list[tuple[str, bytes]]:
    s = mime._build(raw)
    out = []
    for p in mime.walk(s.body):
        if p.parts:
            continue
        out.append((f"{p.type}/{p.subtype}", mime.decode_body(raw[p.body_offset : p.end_offset], p.encoding)))
    return out


def test_agrees_with_stdlib_on_well_formed_messages() -> None:
    msgs = [SAMPLE.replace(b"Content-Type: message/rfc822\r\n\r\n", b"Content-Type: application/x-inner\r\n\r\n")]
    m = EmailMessage()
    m["From"] = "a@b.c"
    m.set_content("plain text body\nline 2\n")
    m.add_alternative("<b>html</b>", subtype="html")
    m.add_attachment(bytes(range(256)), maintype="application", subtype="octet-stream", filename="x.bin")
    msgs.append(m.as_bytes(policy=email.policy.SMTP))
    msgs.append(m.as_bytes(policy=email.policy.default))  # bare LF
    for raw in msgs:
        ours = _our_leaves(raw)
        theirs = _stdlib_leaves(raw)
        assert [t for t, _ in ours] == [t for t, _ in theirs]
        for (_, a), (_, b) in zip(ours, theirs, strict=True):
            assert a.rstrip(b"\r\n") == b.rstrip(b"\r\n")


# ---------------------------------------------------------------------------------------
# Hypothesis
# ---------------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    s = mime._build(raw)
    check_tree(s, raw)
    mime.decoded_text(raw, s)


_mime_atoms = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=b\r\n",
        b"Content-Type: message/rfc822\r\n",
        b'Content-Type: multipart/digest; boundary="b"\r\n',
        b"Content-Transfer-Encoding: base64\r\n",
        b'Content-Disposition: attachment; filename="x\r\n',
        b"From: a <b@c>, g: d@e;\r\n",
        b"Subject: =?utf-8?b?w6k=?=\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"--b\n",
        b"\r\n",
        b"\n",
        b"text line\r\n",
        b" folded\r\n",
        b"Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n",
    ]
)


@FUZZ
@given(st.lists(st.one_of(_mime_atoms, st.binary(max_size=8)), max_size=60))
def test_fuzz_mime_like(chunks: list[bytes]) -> None:
    raw = b"".join(chunks)
    check_tree(mime._build(raw), raw)


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> object:
    if depth >= 3 or draw(st.booleans()):
        return draw(st.binary(max_size=30).filter(lambda b: b"--" not in b and b"\n" not in b and b"\r" not in b))
    return [draw(trees(depth + 1)) for _ in range(draw(st.integers(1, 3)))]


def render(tree: object, nl: bytes, counter: list[int], leaves: list[bytes]) -> bytes:
    if isinstance(tree, bytes):
        leaves.append(tree)
        return b"Content-Type: text/plain" + nl + nl + tree
    counter[0] += 1
    b = f"bnd{counter[0]}".encode()
    out = b"Content-Type: multipart/mixed; boundary=" + b + nl + nl + b"preamble" + nl
    for child in tree:  # type: ignore[attr-defined]
        out += b"--" + b + nl + render(child, nl, counter, leaves) + nl
    return out + b"--" + b + b"--" + nl + b"epilogue"


@FUZZ
@given(trees(), st.sampled_from([b"\r\n", b"\n"]))
def test_fuzz_generated_trees_offsets_exact(tree: object, nl: bytes) -> None:
    leaves: list[bytes] = []
    raw = render(tree, nl, [0], leaves)
    s = mime._build(raw)
    check_tree(s, raw)
    got = [body_of(raw, p) for p in mime.walk(s.body) if not p.parts]
    assert got == leaves


def test_boundary_lookalike_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mime, "MAX_FALSE_BOUNDARIES", 5)
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst\r\n"
        + b"--bx\r\n" * 10
        + b"--b\r\n\r\nsecond\r\n--b--\r\n"
    )
    s = mime._build(raw)
    check_tree(s, raw)
    # after 5 look-alikes the rest of the multipart is opaque: one part up to the end
    (only,) = s.body.parts
    assert only.end_offset == len(raw) and body_of(raw, only).startswith(b"first\r\n--bx")
