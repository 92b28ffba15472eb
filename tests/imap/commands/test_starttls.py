"""STARTTLS (RFC 3501 6.2.1) through imaplib: upgrade, capabilities re-read, refused when TLS is
already active, after login, with arguments, and pipelined plaintext is not executed."""

from __future__ import annotations

import imaplib
import ssl

import pytest

from tests.imap.commands.util import expect_bad, force_state, raw
from tests.imap.conftest import PASSWORD, USER, ImapHandle, Raw, start_imap, stop_imap


def _ctx() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_starttls_upgrades_and_login_works(imap: ImapHandle) -> None:
    c = imaplib.IMAP4("127.0.0.1", imap.port, timeout=15)
    assert "STARTTLS" in c.capabilities
    typ, data = c.starttls(_ctx())
    assert typ == "OK", data
    assert isinstance(c.sock, ssl.SSLSocket) and c.sock.version() is not None
    assert "STARTTLS" not in c.capabilities and "AUTH=PLAIN" in c.capabilities
    # a second STARTTLS on the TLS connection is a protocol error (imaplib would refuse locally)
    expect_bad(raw, c, "STARTTLS")
    c.login(USER, PASSWORD)
    assert c.select("INBOX")[0] == "OK"
    assert c.logout()[0] == "BYE"


def test_starttls_wrong_state_and_arguments(imap: ImapHandle) -> None:
    c = imap.client()
    expect_bad(raw, c, "STARTTLS", "now")
    c.login(USER, PASSWORD)
    force_state(c, "NONAUTH")
    expect_bad(raw, c, "STARTTLS")  # not allowed once authenticated
    force_state(c, "AUTH")
    assert c.noop()[0] == "OK" and not isinstance(c.sock, ssl.SSLSocket)
    c.logout()
    s = imaplib.IMAP4_SSL("127.0.0.1", imap.tls_port, ssl_context=_ctx(), timeout=15)
    assert "STARTTLS" not in s.capabilities
    expect_bad(raw, s, "STARTTLS")  # implicit TLS port: already TLS
    s.login(USER, PASSWORD)
    s.logout()


def test_starttls_pipelined_command_not_executed(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.send(b"a1 STARTTLS\r\na2 LOGIN alice@example.test secret\r\n")
    _lines, tag = r.until("a1")
    assert tag.startswith(b"a1 BAD"), tag
    # no handshake happened: the pipelined LOGIN runs as plaintext (allowed from trusted loopback)
    _, tag = r.until("a2")
    assert tag.startswith(b"a2 OK [CAPABILITY "), tag
    _, tag = r.cmd("a3", "STARTTLS")
    assert tag.startswith(b"a3 BAD"), tag  # and after login STARTTLS is refused
    r.close()


# -- wire-level tests, formerly in tests/imap/test_auth.py ------------------------
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
