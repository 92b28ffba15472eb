"""#13 item 15 (a, b): denial of service with default settings.

(a) one address cannot hold every session: a per-IP cap (on by default) and a deadline for the
whole session; (b) the message limit counts what cannot be forged (the authenticated user, the
client's address), never the envelope sender, so forged mail cannot block `<>` (bounces) or a
real sender for everybody."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable

from services.smtp.config import SmtpConfig
from services.smtp.handler import client_network
from tests.smtp.conftest import DOMAIN, PASSWORD, World, message

ALICE = f"alice@{DOMAIN}"
OTHER_IP = "127.0.0.2"  # a second loopback source address (Linux routes all of 127/8 to lo)


def _greeting(port: int, source: str = "127.0.0.1") -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return sock, sock.makefile("rb").readline()


def test_per_ip_session_cap_is_on_by_default() -> None:
    cfg = SmtpConfig()
    assert 0 < cfg.max_sessions_per_ip < cfg.max_sessions
    assert cfg.session_timeout > 0


def test_one_address_cannot_take_every_session(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_SMTP_MAX_SESSIONS_PER_IP="3", KUBEMAIL_SMTP_MAX_SESSIONS="10")
    held = []
    try:
        for _ in range(3):
            sock, line = _greeting(world.mx)
            held.append(sock)
            assert line.startswith(b"220 "), line
        sock, line = _greeting(world.mx)
        held.append(sock)
        assert line.startswith(b"421 4.7.0 "), line
        # another address still gets in while the first holds its share
        with smtplib.SMTP("127.0.0.1", world.mx, source_address=(OTHER_IP, 0), timeout=10) as s:
            s.ehlo()
            assert s.sendmail("x@remote.test", [ALICE], message()) == {}
    finally:
        for sock in held:
            sock.close()
    assert world.count(ALICE) == 1


def test_session_deadline_ends_a_client_that_keeps_sending_commands(make_world: Callable[..., World]) -> None:
    """A client that never idles long enough for the idle timeout still cannot keep a slot."""
    world = make_world(KUBEMAIL_SMTP_SESSION_TIMEOUT="1", KUBEMAIL_SMTP_TIMEOUT="30")
    with socket.create_connection(("127.0.0.1", world.mx), timeout=10) as sock:
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220 ")
        replies = []
        for _ in range(50):  # bounded: 50 x 0.2 s, the deadline is 1 s
            try:
                sock.sendall(b"NOOP\r\n")
            except OSError:
                break
            line = f.readline()
            replies.append(line)
            if not line or line.startswith(b"421"):
                break
            time.sleep(0.2)
        assert replies[-1].startswith(b"421 4.4.2 "), replies
        assert f.readline() == b""  # closed


def test_forged_mail_does_not_block_bounces_or_a_sender_for_others(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_SMTP_MX_MSG_RATE_LIMIT="3", KUBEMAIL_SMTP_MSG_RATE_LIMIT="3")
    with world.smtp() as s:  # the forger, from 127.0.0.1
        s.ehlo()
        for _ in range(3):
            assert s.sendmail("<>", [ALICE], message()) == {}
        code, text = s.mail("<>")
        assert (code, text[:5]) == (451, b"4.7.1")
        code, _ = s.mail("someone@remote.test")
        assert code == 451  # the limit is the forger's address, whatever sender it writes
    with smtplib.SMTP("127.0.0.1", world.mx, source_address=(OTHER_IP, 0), local_hostname="mta.test") as s:
        s.ehlo()
        assert s.sendmail("<>", [ALICE], message(msgid="<bounce@t>")) == {}  # a real bounce
        assert s.sendmail("someone@remote.test", [ALICE], message(msgid="<real@t>")) == {}
    assert world.count(ALICE) == 5


def test_submission_limit_is_the_users(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_SMTP_MSG_RATE_LIMIT="1", KUBEMAIL_TRUSTED_NETWORKS="127.0.0.0/8")
    with world.smtp(world.submission) as s:
        s.ehlo()
        s.login(ALICE, PASSWORD)
        assert s.sendmail(ALICE, [f"bob@{DOMAIN}"], message()) == {}
        code, text = s.mail(ALICE)
        assert (code, text[:5]) == (451, b"4.7.1")


def test_client_network() -> None:
    assert client_network("203.0.113.7") == "203.0.113.7"
    assert client_network("2001:db8:1:2:3::9") == "2001:db8:1:2::/64"
