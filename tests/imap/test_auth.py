"""CAPABILITY, LOGIN, AUTHENTICATE (PLAIN/LOGIN, SASL-IR), STARTTLS, implicit TLS, LOGINDISABLED."""

from __future__ import annotations

import base64
import imaplib
import ssl

import pytest

from tests.imap.conftest import PASSWORD, USER, ImapHandle, Raw, start_imap, stop_imap


def test_capability_and_login_variants(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    assert r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    lines, tag = r.cmd("a1", "CAPABILITY")
    assert tag.startswith(b"a1 OK")
    caps = lines[0].split()
    assert b"STARTTLS" in caps and b"AUTH=PLAIN" in caps and b"LOGINDISABLED" not in caps
    assert b"IDLE" in caps and b"LITERAL+" in caps
    # unauthenticated commands are refused
    _, tag = r.cmd("a2", "SELECT INBOX")
    assert tag.startswith(b"a2 BAD")
    _, tag = r.cmd("a3", 'LOGIN "alice@example.test" "wrong"')
    assert tag.startswith(b"a3 NO [AUTHENTICATIONFAILED]")
    # literal password
    r.send(b"a4 LOGIN " + USER.encode() + b" {%d}\r\n" % len(PASSWORD))
    assert r.line().startswith(b"+ ")
    r.send(PASSWORD.encode() + b"\r\n")
    _, tag = r.until("a4")
    assert tag.startswith(b"a4 OK [CAPABILITY "), tag
    assert b"UIDPLUS" in tag and b"MOVE" in tag
    _, tag = r.cmd("a5", "LOGIN x y")
    assert tag.startswith(b"a5 BAD")
    lines, tag = r.cmd("a6", "LOGOUT")
    assert lines == [b"* BYE Logging out"] and tag.startswith(b"a6 OK")
    r.close()


def test_authenticate_plain_sasl_ir_and_login(imap: ImapHandle) -> None:
    ir = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    r = Raw(imap.port)
    _, tag = r.cmd("a1", f"AUTHENTICATE PLAIN {ir}")
    assert tag.startswith(b"a1 OK"), tag
    r.close()
    r = Raw(imap.port)
    r.send(b"a1 AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(ir.encode() + b"\r\n")
    _, tag = r.until("a1")
    assert tag.startswith(b"a1 OK")
    r.close()
    r = Raw(imap.port)
    r.send(b"a1 AUTHENTICATE LOGIN\r\n")
    assert r.line() == b"+ " + base64.b64encode(b"Username:")
    r.send(base64.b64encode(USER.encode()) + b"\r\n")
    assert r.line() == b"+ " + base64.b64encode(b"Password:")
    r.send(base64.b64encode(b"nope") + b"\r\n")
    _, tag = r.until("a1")
    assert tag.startswith(b"a1 NO")
    r.send(b"a2 AUTHENTICATE PLAIN\r\n")
    r.line()
    r.send(b"*\r\n")
    _, tag = r.until("a2")
    assert tag.startswith(b"a2 BAD")
    _, tag = r.cmd("a3", "AUTHENTICATE CRAM-MD5")
    assert tag.startswith(b"a3 NO")
    r.close()


def test_imaplib_starttls_and_implicit_tls(imap: ImapHandle) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = imaplib.IMAP4("127.0.0.1", imap.port)
    c.starttls(ctx)
    assert "STARTTLS" not in c.capabilities
    c.login(USER, PASSWORD)
    assert c.select("INBOX")[0] == "OK"
    c.logout()
    s = imaplib.IMAP4_SSL("127.0.0.1", imap.tls_port, ssl_context=ctx)
    s.login(USER, PASSWORD)
    assert s.list()[0] == "OK"
    s.logout()


def test_starttls_discards_pipelined_plaintext(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.send(b"a1 STARTTLS\r\na2 NOOP\r\n")
    _, tag = r.until("a1")
    assert tag.startswith(b"a1 BAD")  # pipelined command after STARTTLS is refused
    r.close()


@pytest.fixture
def untrusted(imap: ImapHandle) -> object:
    srv, lt = start_imap(imap.env, tls=True, KUBEMAIL_TRUSTED_NETWORKS="10.99.0.0/16")
    yield srv
    stop_imap(srv, lt)


def test_logindisabled_without_tls_from_untrusted(imap: ImapHandle, untrusted: object) -> None:
    port = untrusted.port_of("imap")  # type: ignore[attr-defined]
    r = Raw(port)
    assert b"LOGINDISABLED" in r.greeting and b"AUTH=PLAIN" not in r.greeting
    _, tag = r.cmd("a1", f'LOGIN "{USER}" "{PASSWORD}"')
    assert tag.startswith(b"a1 NO [PRIVACYREQUIRED]")
    _, tag = r.cmd("a2", "AUTHENTICATE PLAIN")
    assert tag.startswith(b"a2 NO")
    r.close()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = imaplib.IMAP4("127.0.0.1", port)
    c.starttls(ctx)
    assert "LOGINDISABLED" not in c.capabilities
    c.login(USER, PASSWORD)
    c.logout()
