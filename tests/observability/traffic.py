"""Real-client traffic (smtplib, imaplib, poplib) that touches success and failure paths."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import poplib
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage

TIMEOUT = 20


def _ehlo_tls(s: smtplib.SMTP) -> None:
    """EHLO, then STARTTLS (self-signed test certificate) when offered, then EHLO again."""
    import ssl

    s.ehlo("client.obs.test")
    if s.has_extn("starttls"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo("client.obs.test")


def message(sender: str, rcpt: str, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = f"observability {n}"
    msg["Message-ID"] = f"<obs-{n}@obs.test>"
    msg.set_content(f"message number {n}\n")
    return msg.as_bytes()


def smtp_mx(port: int, user: str, senders: list[str]) -> int:
    """One MX session: a message per sender (distinct MAIL FROM); returns messages accepted."""
    accepted = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as s:
        s.ehlo("client.obs.test")
        for i, sender in enumerate(senders):
            refused = s.sendmail(sender, [user], message(sender, user, i))
            if not refused:
                accepted += 1
    return accepted


def smtp_failures(port: int, submission_port: int, user: str) -> None:
    """Unknown recipient (550), a bad command (500), a failed AUTH, a good AUTH and submission."""
    with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as s:
        s.ehlo("client.obs.test")
        s.mail("someone@remote.test")
        code, _ = s.rcpt("nobody@obs.test")
        assert code >= 500, code
        s.rset()
        code, _ = s.docmd("FROBNICATE")
        assert code >= 500, code
    with smtplib.SMTP("127.0.0.1", submission_port, timeout=TIMEOUT) as s:
        _ehlo_tls(s)
        with contextlib.suppress(smtplib.SMTPAuthenticationError):
            s.login(user, "wrong password")
            raise AssertionError("AUTH with a wrong password succeeded")


def failed_logins(obs_ports: dict[str, int], user: str) -> None:
    """One wrong password per protocol (for the auth-failure alert)."""
    if "submission" in obs_ports:
        with smtplib.SMTP("127.0.0.1", obs_ports["submission"], timeout=TIMEOUT) as s:
            s.ehlo("client.obs.test")
            with contextlib.suppress(smtplib.SMTPAuthenticationError):
                s.login(user, "still wrong")
                raise AssertionError("AUTH with a wrong password succeeded")
    if "imap" in obs_ports:
        with imaplib.IMAP4("127.0.0.1", obs_ports["imap"], timeout=TIMEOUT) as c:
            with contextlib.suppress(imaplib.IMAP4.error):
                c.login(user, "still wrong")
                raise AssertionError("LOGIN with a wrong password succeeded")
    if "http" in obs_ports:
        query = "/Microsoft-Server-ActiveSync?Cmd=Sync&User=x&DeviceId=obsdevice2&DeviceType=SmartPhone"
        bad = "Basic " + base64.b64encode(f"{user}:still wrong".encode()).decode()
        assert _http(obs_ports["http"], "POST", query, {"Authorization": bad}) == 401
    if "pop3" in obs_ports:
        c3 = poplib.POP3("127.0.0.1", obs_ports["pop3"], timeout=TIMEOUT)
        try:
            c3.user(user)
            with contextlib.suppress(poplib.error_proto):
                c3.pass_("still wrong")
                raise AssertionError("PASS with a wrong password succeeded")
        finally:
            with contextlib.suppress(Exception):
                c3.quit()


def smtp_submission(submission_port: int, user: str, password: str) -> None:
    with smtplib.SMTP("127.0.0.1", submission_port, timeout=TIMEOUT) as s:
        _ehlo_tls(s)
        s.login(user, password)
        s.sendmail(user, [user], message(user, user, 9999))


def smtp_outbound(submission_port: int, user: str, password: str, rcpts: list[str]) -> None:
    """Submission to remote recipients: queued for the relay (one message, every recipient)."""
    with smtplib.SMTP("127.0.0.1", submission_port, timeout=TIMEOUT) as s:
        _ehlo_tls(s)
        s.login(user, password)
        refused = s.sendmail(user, rcpts, message(user, rcpts[0], 8888))
        assert not refused, refused


def _http(port: int, method: str, path: str, headers: dict[str, str] | None = None) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            resp.read()
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def web(port: int, user: str, password: str) -> None:
    """Autoconfig, then ActiveSync: OPTIONS, a wrong password (401), an unprovisioned FolderSync (449)."""
    assert _http(port, "GET", f"/mail/config-v1.1.xml?emailaddress={user}") == 200
    eas = "/Microsoft-Server-ActiveSync"
    good = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    bad = "Basic " + base64.b64encode(f"{user}:wrong password".encode()).decode()
    assert _http(port, "OPTIONS", eas, {"Authorization": good}) == 200
    query = f"{eas}?Cmd=FolderSync&User={user}&DeviceId=obsdevice1&DeviceType=SmartPhone"
    headers = {"MS-ASProtocolVersion": "16.1", "Content-Type": "application/vnd.ms-sync.wbxml"}
    assert _http(port, "POST", query, {**headers, "Authorization": bad}) == 401
    assert _http(port, "POST", query, {**headers, "Authorization": good}) == 449


def imap(port: int, user: str, password: str) -> None:
    """A failed LOGIN, then LOGIN, SELECT, SEARCH, FETCH, STORE, a NO and a BAD."""
    with imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT) as c:
        with contextlib.suppress(imaplib.IMAP4.error):
            c.login(user, "wrong password")
            raise AssertionError("LOGIN with a wrong password succeeded")
    with imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT) as c:
        c.login(user, password)
        typ, _ = c.select("INBOX")
        assert typ == "OK"
        typ, data = c.search(None, "ALL")
        assert typ == "OK" and data[0], data
        typ, _ = c.fetch("1", "(FLAGS RFC822.SIZE BODY.PEEK[])")
        assert typ == "OK"
        c.store("1", "+FLAGS", "(\\Seen)")
        typ, _ = c._simple_command("SELECT", "no-such-mailbox")  # NO
        assert typ == "NO"
        with contextlib.suppress(imaplib.IMAP4.error):
            typ, _ = c.xatom("XFROBNICATE")  # an unknown command: BAD
            assert typ != "OK"
        c.logout()


def pop3(port: int, user: str, password: str) -> None:
    """A failed PASS, then USER/PASS, STAT, LIST, RETR, an -ERR, QUIT."""
    c = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
    try:
        c.user(user)
        with contextlib.suppress(poplib.error_proto):
            c.pass_("wrong password")
            raise AssertionError("PASS with a wrong password succeeded")
    finally:
        with contextlib.suppress(Exception):
            c.quit()
    c = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
    c.user(user)
    c.pass_(password)
    count, _ = c.stat()
    assert count >= 1
    c.list()
    c.retr(1)
    with contextlib.suppress(poplib.error_proto):
        c.retr(10_000)  # -ERR no such message
    c.quit()
