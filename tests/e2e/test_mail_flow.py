"""Mail through the whole suite as processes: smtplib and swaks in, imaplib and poplib out."""

from __future__ import annotations

import poplib
import smtplib
import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    E2E,
    PASSWORD,
    assert_delivered,
    client_tls,
    fetch_all,
    needs_imap,
    needs_pop3,
    needs_swaks,
    uidvalidity,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]


def message(subject: str, to: str, sender: str = "sender@remote.test") -> bytes:
    """A message that exercises transparency: leading dots, a lone dot, tabs, trailing spaces."""
    return (
        f"From: Sender <{sender}>\r\n"
        f"To: <{to}>\r\n"
        f"Subject: {subject}\r\n"
        "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@e2e.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "first line\r\n"
        ".leading dot\r\n"
        "..two dots\r\n"
        ".\r\n"
        "\ttab and trailing spaces   \r\n" + "x" * 900 + "\r\n"
        "last line\r\n"
    ).encode()


def swaks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["swaks", "--helo", "client.e2e.test", *args], capture_output=True, text=True, timeout=60)


def write_for_swaks(path: Path, raw: bytes) -> None:
    """swaks always sends CRLF "." CRLF after --data: that CRLF ends the message's last line."""
    assert raw.endswith(b"\r\n")
    path.write_bytes(raw[:-2])


# ---------------------------------------------------------------- MX ingress -> IMAP / POP3


def test_mx_smtplib_arrives_byte_exact_in_imap_and_pop3(e2e: E2E) -> None:
    rcpt = e2e.add_user("mx")
    raw = message("mx smtplib", rcpt)
    with e2e.smtp() as s:
        assert s.sendmail("sender@remote.test", [rcpt], raw) == {}
    e2e.wait_count(rcpt, 1)
    if e2e.suite.services.count("pop3"):
        [(uidl, popped)] = e2e.pop3_messages(rcpt)
        assert_delivered(popped, raw, "sender@remote.test")
        assert b"by localhost" in popped  # the Received line names this server
    if e2e.suite.services.count("imap"):
        m = e2e.imap(rcpt)
        try:
            [(uid, fetched)] = fetch_all(m).items()
            assert_delivered(fetched, raw, "sender@remote.test")
            if e2e.suite.services.count("pop3"):
                assert fetched == popped
                assert uidl == f"{uidvalidity(m)}.{uid}"
        finally:
            m.logout()


@needs_swaks
def test_swaks_submission_starttls_auth_plain(e2e: E2E, tmp_path: Path) -> None:
    sender, rcpt = e2e.add_user("sub"), e2e.add_user("subrcpt")
    raw = message("swaks starttls", rcpt, sender)
    write_for_swaks(tmp_path / "msg.eml", raw)
    out = swaks(
        "--server", f"127.0.0.1:{e2e.ports.submission}", "--tls",
        "--auth", "PLAIN", "--auth-user", sender, "--auth-password", PASSWORD,
        "--from", sender, "--to", rcpt, "--data", f"@{tmp_path / 'msg.eml'}",
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert " -> STARTTLS" in out.stdout and "<~  235 " in out.stdout, out.stdout  # AUTH inside TLS
    e2e.wait_count(rcpt, 1)
    stored = _one_message(e2e, rcpt)
    assert_delivered(stored, raw, sender)
    assert b"with ESMTPSA" in stored  # authenticated submission over TLS (RFC 3848)


@needs_swaks
def test_swaks_implicit_tls_submissions_port(e2e: E2E, tmp_path: Path) -> None:
    sender, rcpt = e2e.add_user("tlsc"), e2e.add_user("tlscrcpt")
    raw = message("swaks implicit tls", rcpt, sender)
    write_for_swaks(tmp_path / "msg.eml", raw)
    out = swaks(
        "--server", f"127.0.0.1:{e2e.ports.smtps}", "--tls-on-connect",
        "--auth", "PLAIN", "--auth-user", sender, "--auth-password", PASSWORD,
        "--from", sender, "--to", rcpt, "--data", f"@{tmp_path / 'msg.eml'}",
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    e2e.wait_count(rcpt, 1)
    stored = _one_message(e2e, rcpt)
    assert_delivered(stored, raw, sender)
    assert b"with ESMTPSA" in stored


@needs_swaks
def test_swaks_submission_refuses_unauthenticated_and_wrong_password(e2e: E2E) -> None:
    sender, rcpt = e2e.add_user("subno"), e2e.add_user("subnorcpt")
    base = ["--server", f"127.0.0.1:{e2e.ports.submission}", "--from", sender, "--to", rcpt]
    no_auth = swaks(*base, "--tls")
    assert no_auth.returncode != 0 and "<~* 530" in no_auth.stdout, no_auth.stdout
    wrong = swaks(*base, "--tls", "--auth", "PLAIN", "--auth-user", sender, "--auth-password", "wrong")
    assert wrong.returncode != 0 and "<~* 535" in wrong.stdout, wrong.stdout
    _assert_empty(e2e, rcpt)


def _one_message(e2e: E2E, address: str) -> bytes:
    """The only message of `address`, read with POP3 and (when IMAP exists) checked against IMAP."""
    popped = None
    if "pop3" in e2e.suite.services:
        [(_, popped)] = e2e.pop3_messages(address)
    if "imap" in e2e.suite.services:
        [fetched] = e2e.imap_messages(address).values()
        assert popped is None or popped == fetched
        return fetched
    assert popped is not None
    return popped


def _assert_empty(e2e: E2E, address: str) -> None:
    if "pop3" in e2e.suite.services:
        assert e2e.pop3_messages(address) == []
    if "imap" in e2e.suite.services:
        assert e2e.imap_messages(address) == {}


# ---------------------------------------------------------------- recipients and relay


def test_three_local_recipients_each_get_the_message(e2e: E2E) -> None:
    rcpts = [e2e.add_user("multi") for _ in range(3)]
    raw = message("three recipients", rcpts[0])
    with e2e.smtp() as s:
        assert s.sendmail("list@remote.test", rcpts, raw) == {}
    for rcpt in rcpts:
        e2e.wait_count(rcpt, 1)
        assert_delivered(_one_message(e2e, rcpt), raw, "list@remote.test")


def test_unknown_recipient_550_at_rcpt_known_one_still_delivered(e2e: E2E) -> None:
    rcpt = e2e.add_user("known")
    with e2e.smtp() as s:
        s.ehlo()
        assert s.mail("x@remote.test")[0] == 250
        code, text = s.rcpt(f"nobody-here@{rcpt.split('@')[1]}")
        assert code == 550, text
        assert s.rcpt(rcpt)[0] == 250
        code, _ = s.data(message("partly unknown", rcpt))
        assert code == 250
    e2e.wait_count(rcpt, 1)


def test_relay_from_unauthenticated_client_is_refused(e2e: E2E) -> None:
    # MX port: a remote recipient is not ours to accept
    with e2e.smtp() as s:
        s.ehlo()
        assert s.mail("spammer@remote.test")[0] == 250
        code, text = s.rcpt("victim@elsewhere.example")
        assert 500 <= code < 600, (code, text)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        with e2e.smtp() as s:
            s.sendmail("spammer@remote.test", ["victim@elsewhere.example"], b"Subject: relay\r\n\r\nno\r\n")
    # submission port without AUTH (STARTTLS done, so only the missing AUTH can be the reason)
    with e2e.smtp(e2e.ports.submission) as s:
        s.starttls(context=client_tls())
        s.ehlo()
        code, _ = s.mail("spammer@remote.test")
        if code == 250:
            code, _ = s.rcpt("victim@elsewhere.example")
        assert code == 530 or 500 <= code < 600, code


# ---------------------------------------------------------------- IMAP <-> IMAP, POP3 <-> IMAP


@needs_imap
def test_flag_set_on_one_imap_connection_seen_by_another_via_noop(e2e: E2E) -> None:
    rcpt = e2e.add_user("flags")
    with e2e.smtp() as s:
        s.sendmail("a@remote.test", [rcpt], message("flag me", rcpt))
    e2e.wait_count(rcpt, 1)
    a, b = e2e.imap(rcpt), e2e.imap(rcpt)
    try:
        typ, data = a.store("1", "+FLAGS", r"(\Flagged)")
        assert typ == "OK", data

        def seen_by_b() -> bool:
            typ, _ = b.noop()
            assert typ == "OK"
            fetches = b.untagged_responses.pop("FETCH", [])
            return any(b"\\Flagged" in f for f in fetches if isinstance(f, bytes))

        wait_for(seen_by_b, 15, 0.3, "the flag to reach the second connection")
        typ, data = b.fetch("1", "(FLAGS)")
        assert typ == "OK" and any(b"\\Flagged" in x for x in data if isinstance(x, bytes)), data
    finally:
        a.logout()
        b.logout()


@needs_imap
def test_flag_set_on_one_imap_connection_wakes_an_idle_one(e2e: E2E) -> None:
    rcpt = e2e.add_user("idle")
    with e2e.smtp() as s:
        s.sendmail("a@remote.test", [rcpt], message("idle flag", rcpt))
    e2e.wait_count(rcpt, 1)
    a, b = e2e.imap(rcpt), e2e.imap(rcpt)
    try:
        tag = b._new_tag()  # type: ignore[attr-defined]  # imaplib (3.11) has no idle()
        b.send(tag + b" IDLE\r\n")
        assert b.readline().startswith(b"+"), "no IDLE continuation"
        typ, _ = a.store("1", "+FLAGS", r"(\Answered)")
        assert typ == "OK"
        b.sock.settimeout(20)  # bounded: change events or the session's poll must wake it well before
        while True:
            line = b.readline()
            assert line, "server closed the idling connection"
            if b"FETCH" in line:
                assert b"\\Answered" in line, line
                break
        b.send(b"DONE\r\n")
        while not (line := b.readline()).startswith(tag):
            assert line
        assert line.split()[1] == b"OK", line
    finally:
        a.logout()
        b.logout()


@needs_imap
@needs_pop3
def test_pop3_dele_removes_message_from_imap_view_and_uidl_matches_uids(e2e: E2E) -> None:
    rcpt = e2e.add_user("dele")
    with e2e.smtp() as s:
        for i in range(3):
            s.sendmail("a@remote.test", [rcpt], message(f"dele {i}", rcpt))
    e2e.wait_count(rcpt, 3)
    watcher = e2e.imap(rcpt)
    try:
        uids = sorted(fetch_all(watcher))
        assert len(uids) == 3
        validity = uidvalidity(watcher)
        p = e2e.pop3(rcpt)
        listing = [line.split() for line in p.uidl()[1]]
        assert [u.decode() for _, u in listing] == [f"{validity}.{uid}" for uid in uids]
        assert p.dele(2).startswith(b"+OK")
        p.quit()  # the UPDATE state: the deletion is committed here
        assert sorted(e2e.imap_messages(rcpt)) == [uids[0], uids[2]]

        def expunge_seen() -> bool:
            assert watcher.noop()[0] == "OK"
            return b"2" in watcher.untagged_responses.pop("EXPUNGE", [])

        wait_for(expunge_seen, 15, 0.3, "EXPUNGE on the open IMAP session")
        assert sorted(fetch_all(watcher)) == [uids[0], uids[2]]
        # and POP3 sees the same two, with the same UIDLs
        assert [u for u, _ in e2e.pop3_messages(rcpt)] == [f"{validity}.{uids[0]}", f"{validity}.{uids[2]}"]
    finally:
        watcher.logout()


@needs_pop3
def test_pop3_rset_and_dropped_connection_keep_messages(e2e: E2E) -> None:
    """DELE without QUIT (connection dropped) must not delete: only the UPDATE state commits."""
    rcpt = e2e.add_user("keep")
    with e2e.smtp() as s:
        s.sendmail("a@remote.test", [rcpt], message("keep me", rcpt))
    e2e.wait_count(rcpt, 1)
    p = e2e.pop3(rcpt)
    assert p.dele(1).startswith(b"+OK")
    p.sock.shutdown(socket.SHUT_RDWR)
    p.close()
    p2 = wait_for(lambda: _pop3_when_unlocked(e2e, rcpt), 20, 0.3, "the maildrop lock to be released")
    try:
        assert p2.stat()[0] == 1
        assert p2.dele(1).startswith(b"+OK")
        assert p2.rset().startswith(b"+OK")
    finally:
        p2.quit()
    assert len(e2e.pop3_messages(rcpt)) == 1


def _pop3_when_unlocked(e2e: E2E, address: str) -> poplib.POP3 | None:
    try:
        return e2e.pop3(address)
    except poplib.error_proto as exc:
        if b"IN-USE" in exc.args[0]:
            return None
        raise


# ---------------------------------------------------------------- TLS on the read side


def test_read_over_starttls_and_implicit_tls(e2e: E2E) -> None:
    import imaplib

    rcpt = e2e.add_user("tlsread")
    raw = message("tls read", rcpt)
    with e2e.smtp() as s:
        s.sendmail("a@remote.test", [rcpt], raw)
    e2e.wait_count(rcpt, 1)
    seen: list[bytes] = []
    if "imap" in e2e.suite.services:
        plain = imaplib.IMAP4("127.0.0.1", e2e.ports.imap, timeout=20)
        assert plain.starttls(ssl_context=client_tls())[0] == "OK"
        implicit = imaplib.IMAP4_SSL("127.0.0.1", e2e.ports.imaps, ssl_context=client_tls(), timeout=20)
        for m in (plain, implicit):
            assert m.login(rcpt, PASSWORD)[0] == "OK"
            assert m.select("INBOX", readonly=True)[0] == "OK"
            seen.extend(fetch_all(m).values())
            m.logout()
    if "pop3" in e2e.suite.services:
        p = poplib.POP3("127.0.0.1", e2e.ports.pop3, timeout=20)
        p.stls(client_tls())
        q = poplib.POP3_SSL("127.0.0.1", e2e.ports.pop3s, context=client_tls(), timeout=20)
        for c in (p, q):
            c.user(rcpt)
            c.pass_(PASSWORD)
            seen.append(b"".join(line + b"\r\n" for line in c.retr(1)[1]))
            c.quit()
    assert seen
    for stored in seen:
        assert_delivered(stored, raw, "a@remote.test")
