"""Brute force: 50 wrong passwords for alice from one IP, spread over IMAP, POP3 and SMTP,
trip the shared failed-login limit on all three protocols: alice's correct password is then
refused everywhere until the window passes, while bob, from another IP, still logs in."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator

import pytest

from tests.fixtures.seed import seed_user
from tests.fixtures.servers import RedisServer, S3Server
from tests.security.conftest import ALICE, ALICE_PW, BOB, BOB_PW, DOMAIN, Imap, Pop3, Smtp, Suite, build_suite

WINDOW = 8  # seconds (KUBEMAIL_AUTH_FAIL_WINDOW)
ATTACKER = "127.0.0.1"
OTHER = "127.0.0.2"


@pytest.fixture(scope="module")
def suite(redis_server: RedisServer, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    yield from build_suite(
        redis_server,
        s3_server,
        tmp_path_factory.mktemp("brute"),
        KUBEMAIL_AUTH_FAIL_PER_IP="10",
        KUBEMAIL_AUTH_FAIL_PER_USER="5",
        KUBEMAIL_AUTH_FAIL_WINDOW=str(WINDOW),
        # the window limits under test here; the per-source backoff (tests/common/test_auth.py)
        # would answer most of the 50 guesses before they count
        KUBEMAIL_AUTH_BACKOFF_AFTER="0",
    )


def imap_login(suite: Suite, user: str, pw: str, source: str) -> bytes:
    tls = source != ATTACKER  # only 127.0.0.1 is a trusted network (plaintext logins)
    c = Imap(suite.imaps_port if tls else suite.imap_port, source=source, tls=tls)
    try:
        _, t = c.cmd("L", f'LOGIN "{user}" "{pw}"')
        return t
    finally:
        c.close()


def pop3_login(suite: Suite, user: str, pw: str, source: str) -> bytes:
    tls = source != ATTACKER
    p = Pop3(suite.pop3s_port if tls else suite.pop3_port, source=source, tls=tls)
    try:
        p.cmd(f"USER {user}")
        return p.cmd(f"PASS {pw}")
    finally:
        p.close()


def smtp_login(suite: Suite, user: str, pw: str, source: str) -> bytes:
    tls = source != ATTACKER
    s = Smtp(suite.submissions_port if tls else suite.submission_port, source=source, tls=tls)
    try:
        s.cmd("EHLO client.test")
        token = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
        code, lines = s.cmd(f"AUTH PLAIN {token}")
        return b"%d " % code + lines[-1]
    finally:
        s.close()


LOGINS = {"imap": imap_login, "pop3": pop3_login, "smtp": smtp_login}
ACCEPTED = {"imap": b"L OK", "pop3": b"+OK", "smtp": b"235 "}


def accepted(proto: str, answer: bytes) -> bool:
    return answer.startswith(ACCEPTED[proto])


def within_one_window(trip: Callable[[], None], need: float = 4.0) -> None:
    """The limiter's windows are fixed, starting at multiples of WINDOW (unix time), and refused
    attempts are not counted: at a window's start the count is the previous window's, weighted,
    just under the limit. So the lockout checks run inside one window: with fewer than `need`
    seconds left, wait for the next window and trip the limits there again (a loaded machine once
    crossed the boundary between the last counted failure and the checks)."""
    left = WINDOW - time.time() % WINDOW
    if left < need:
        time.sleep(left + 0.05)
        trip()


def trip_alice(suite: Suite) -> None:
    for i, proto in enumerate(LOGINS):
        assert not accepted(proto, LOGINS[proto](suite, ALICE, f"again-{i}", ATTACKER))


def test_fifty_wrong_passwords_lock_alice_on_every_protocol_but_not_bob(suite: Suite) -> None:
    protos = list(LOGINS)
    for i in range(50):
        proto = protos[i % 3]
        answer = LOGINS[proto](suite, ALICE, f"wrong-{i}", ATTACKER)
        assert not accepted(proto, answer), (i, proto, answer)
    within_one_window(lambda: trip_alice(suite))
    for proto, login in LOGINS.items():
        answer = login(suite, ALICE, ALICE_PW, ATTACKER)
        assert not accepted(proto, answer), f"{proto}: correct password accepted during lockout: {answer!r}"
    for proto, login in LOGINS.items():
        answer = login(suite, BOB, BOB_PW, OTHER)
        assert accepted(proto, answer), f"{proto}: bob from another IP refused: {answer!r}"
    # after the window the correct password works again (rate-limited attempts do not count)
    deadline = time.monotonic() + WINDOW * 3
    ok: dict[str, bytes] = {}
    while len(ok) < 3 and time.monotonic() < deadline:
        for proto, login in LOGINS.items():
            if proto not in ok:
                answer = login(suite, ALICE, ALICE_PW, ATTACKER)
                if accepted(proto, answer):
                    ok[proto] = answer
        time.sleep(0.5)
    assert set(ok) == set(LOGINS), f"alice still locked out after {WINDOW * 3} s on {set(LOGINS) - set(ok)}"


@pytest.mark.parametrize("proto", list(LOGINS))
def test_lockout_holds_for_every_spelling_of_the_name(suite: Suite, proto: str) -> None:
    """#13 item 12: after the failure limit the same account under another spelling
    (trailing dots, upper case) is still locked, on every protocol."""
    name = f"user9-{proto}@{DOMAIN}"
    suite.run(seed_user(suite.client, name, "user9-pw"))
    login = LOGINS[proto]
    source = f"127.0.1.{list(LOGINS).index(proto) + 1}"  # its own IP: only the account limit applies

    def trip(tries: int = 3) -> None:
        for i in range(tries):
            assert not accepted(proto, login(suite, name, f"wrong-{i}", source))

    trip(10)
    within_one_window(trip)
    local = name.partition("@")[0]
    for spelling in (f"{name}.", f"{name}..", name.upper(), f"{local}@{DOMAIN.upper()}.", name):
        answer = login(suite, spelling, "user9-pw", source)
        assert not accepted(proto, answer), f"{proto}: {spelling!r} logged in during lockout: {answer!r}"
