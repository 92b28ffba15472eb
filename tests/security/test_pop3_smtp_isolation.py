"""Invariant 8 over POP3 and SMTP: alice's POP3 maildrop shows only her mail (UIDLs and
message bodies), blob ids reach nothing, SMTP submission refuses someone else's sender
address, and neither aliases, forwards nor address tricks relay to remote domains without
authentication."""

from __future__ import annotations

import pytest

from tests.security.conftest import ALICE, ALICE_MARK, ALICE_PW, BOB, BOB_SECRET, FWD, Pop3, Smtp, Suite


def test_pop3_shows_only_alices_messages(suite: Suite) -> None:
    p = Pop3(suite.pop3_port)
    p.login()
    stat = p.cmd("STAT")
    assert stat.startswith(b"+OK 1 "), stat  # alice has 1 message, bob 2 in INBOX + 1 in Secret
    _, listing = p.multi("UIDL")
    alice_inbox = suite.snapshot(ALICE)["INBOX"]
    assert listing == [b"1 %d.%d" % (alice_inbox[1], alice_inbox[-1][0][0])]
    # (UIDLs are "<uidvalidity>.<uid>" of alice's own INBOX: equal strings may exist in another
    # user's maildrop, which is harmless; they are never derived from another user's data)
    joined = b"\n".join(listing)
    assert suite.uid(BOB).encode() not in joined and not any(b.encode() in joined for b in suite.bob_blobs)
    first, body = p.multi("RETR 1")
    assert first.startswith(b"+OK") and ALICE_MARK in b"\n".join(body)
    # message numbers beyond alice's, bob's UIDLs and blob ids as arguments: -ERR, nothing of bob's
    out = []
    for arg in ["2", "3", "0", "-1", "4294967296", "1795437214.1", *suite.bob_blobs]:
        for verb in ("RETR", "TOP", "LIST", "UIDL", "DELE"):
            line = p.cmd(f"{verb} {arg} 0" if verb == "TOP" else f"{verb} {arg}")
            assert line.startswith(b"-ERR"), (verb, arg, line)
            out.append(line)
    assert BOB_SECRET not in b"\n".join(out)
    assert p.cmd("RSET").startswith(b"+OK")
    assert p.cmd("QUIT").startswith(b"+OK")
    p.close()
    # new mail for bob changes nothing alice's next session sees
    suite.deliver(BOB, b"From: x@remote.test\r\nSubject: more\r\n\r\n" + BOB_SECRET + b"\r\n")
    p = Pop3(suite.pop3_port)
    p.login()
    assert p.multi("UIDL")[1] == listing
    assert p.cmd("STAT").startswith(b"+OK 1 ")
    p.cmd("QUIT")
    p.close()


def test_pop3_login_names_with_tricks_do_not_reach_bob(suite: Suite, bob_unchanged: None) -> None:
    for user in ("bob@example.test\x00alice@example.test", "alice@example.test/../bob", "*", "bob"):
        p = Pop3(suite.pop3_port)
        p.cmd(b"USER " + user.encode())
        r = p.cmd(f"PASS {ALICE_PW}")
        assert r.startswith(b"-ERR"), (user, r)
        p.close()


def _submission(suite: Suite) -> Smtp:
    s = Smtp(suite.submission_port)
    s.cmd("EHLO client.test")
    return s


def _auth_plain(s: Smtp, user: str, pw: str) -> int:
    import base64

    token = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
    code, _ = s.cmd(f"AUTH PLAIN {token}")
    return code


@pytest.mark.parametrize(
    "sender",
    [
        BOB,
        "BOB@example.test",
        "robert@example.test",  # bob's alias
        "bob+tag@example.test",
        "<bob@example.test>",
        "bob@EXAMPLE.TEST",
        '"bob"@example.test',
        "alice@example.test@bob@example.test",
        "someone@remote.test",
    ],
)
def test_submission_refuses_a_sender_alice_does_not_own(suite: Suite, sender: str) -> None:
    s = _submission(suite)
    assert _auth_plain(s, ALICE, ALICE_PW) == 235
    arg = sender if sender.startswith("<") else f"<{sender}>"
    code, lines = s.cmd(f"MAIL FROM:{arg}")
    assert code >= 500, (sender, lines)
    # alice's own addresses (and alias) are accepted on the same session
    for own in (ALICE, "al@example.test"):
        s.cmd("RSET")
        code, lines = s.cmd(f"MAIL FROM:<{own}>")
        assert code == 250, lines
    s.cmd("QUIT")
    s.close()


RELAY_TRICKS = [
    "victim@remote.test",
    "victim%remote.test@example.test",
    "victim@remote.test@example.test",
    "@example.test:victim@remote.test",
    "victim!remote.test@example.test",
    "remote.test!victim@example.test",
    "victim@[192.0.2.1]",
    '"victim@remote.test"@example.test',
    "victim@remote.test.",
    "alice@example.test,victim@remote.test",
]


@pytest.mark.parametrize("rcpt", RELAY_TRICKS)
def test_no_unauthenticated_relay(suite: Suite, rcpt: str) -> None:
    before = len(suite.outbound())
    s = Smtp(suite.mx_port)
    s.cmd("EHLO client.test")
    code, _ = s.cmd("MAIL FROM:<spammer@remote.test>")
    assert code == 250
    code, lines = s.cmd(f"RCPT TO:<{rcpt}>")
    assert code >= 500, (rcpt, lines)
    s.cmd("QUIT")
    s.close()
    assert len(suite.outbound()) == before


def test_forward_and_alias_only_reach_their_configured_targets(suite: Suite) -> None:
    """MX mail to a user with forward_to is queued only to that fixed target; an alias
    delivers locally; the sender cannot add or steer remote recipients."""
    before = suite.outbound()
    bob_inbox = suite.snapshot(BOB)["INBOX"][4]
    s = Smtp(suite.mx_port)
    s.cmd("EHLO client.test")
    assert s.cmd("MAIL FROM:<spammer@remote.test>")[0] == 250
    assert s.cmd(f"RCPT TO:<{FWD}>")[0] == 250
    assert s.cmd("RCPT TO:<robert@example.test>")[0] == 250
    assert s.cmd("RCPT TO:<victim@remote.test>")[0] >= 500
    assert s.cmd("RCPT TO:<fwd+victim%remote.test@example.test>")[0] >= 500
    assert s.cmd("DATA")[0] == 354
    s.send(b"From: x@remote.test\r\nTo: victim@remote.test\r\nBcc: other@remote.test\r\n\r\nspam\r\n.\r\n")
    assert s.reply()[0] == 250
    s.cmd("QUIT")
    s.close()
    after = suite.outbound()
    new = after[len(before) :]
    rcpts = sorted(r for e in new for r in e[b"recipients"].decode().split(","))
    assert rcpts == ["outside@remote.test"], new
    assert suite.snapshot(BOB)["INBOX"][4] == bob_inbox + 1
