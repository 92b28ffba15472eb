"""#13 item 14: postmaster (RFC 5321 4.5.1), HELP (214), 501 with enhanced codes (RFC 3463)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from services.smtp import params, paths
from tests.smtp.conftest import DOMAIN, World, message

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


@pytest.mark.parametrize("rcpt", ["<Postmaster>", "<postmaster>", f"<POSTMASTER@{DOMAIN}>", f"<postmaster@{DOMAIN}>"])
def test_postmaster_reaches_the_configured_mailbox(make_world: Callable[..., World], rcpt: str) -> None:
    world = make_world(KUBEMAIL_SMTP_POSTMASTER=ALICE)
    with world.smtp() as s:
        s.ehlo()
        assert s.mail("x@remote.test")[0] == 250
        code, text = s.docmd(f"RCPT TO:{rcpt}")
        assert code == 250, text
        assert s.data(message(msgid="<pm@t>"))[0] == 250
    assert b"<pm@t>" in world.messages(ALICE)[0]


def test_postmaster_of_a_domain_with_a_catch_all_follows_the_directory(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_SMTP_POSTMASTER=ALICE)
    with world.smtp() as s:
        s.ehlo()
        assert s.mail("x@remote.test")[0] == 250
        assert s.docmd("RCPT TO:<Postmaster@catchall.test>")[0] == 250  # the catch-all: bob
        assert s.data(message(msgid="<pmc@t>"))[0] == 250
    assert world.count(BOB) == 1 and world.count(ALICE) == 0


def test_postmaster_unset_is_refused_not_relayed(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        assert s.mail("x@remote.test")[0] == 250
        for rcpt in ("<Postmaster>", f"<postmaster@{DOMAIN}>"):
            code, text = s.docmd(f"RCPT TO:{rcpt}")
            assert (code, text[:6]) == (550, b"5.1.1 "), text
        assert s.docmd("RCPT TO:<postmaster@remote.test>")[0] == 550  # not ours: relay denied


def test_postmaster_is_no_sender_path(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        code, _ = s.docmd("MAIL FROM:<Postmaster>")
        assert code in (501, 553)


def test_help_is_214(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        code, text = s.docmd("HELP")
        assert code == 214 and b"MAIL" in text and b"RCPT" in text, text
        code, text = s.docmd("HELP", "mail")
        assert code == 214 and b"MAIL FROM:" in text, text
        code, text = s.docmd("HELP", "NOSUCH")
        assert code == 504 and text.startswith(b"5.5."), text


@pytest.mark.parametrize(
    ("line", "enhanced"),
    [
        ("MAIL FROM:<a@remote.test", b"5.1.7 "),
        ("MAIL FROM:<a@remote.test SIZE=10", b"5.1.7 "),
        ("MAIL FROM:<a@remote.test> SIZE=1 SIZE=2", b"5.5.4 "),
        ("MAIL FROM:<a@remote.test> BODY=8BITMIME body=7bit", b"5.5.4 "),
        ("MAIL FROM:", b"5.5.2 "),
        ("MAIL <a@remote.test>", b"5.5.2 "),
    ],
)
def test_mail_syntax_errors_are_501_with_enhanced_codes(
    world: World, caplog: pytest.LogCaptureFixture, line: str, enhanced: bytes
) -> None:
    with world.smtp() as s:
        s.ehlo()
        caplog.set_level(logging.INFO, logger="kubemail.smtp")
        code, text = s.docmd(line)
        assert code == 501 and text.startswith(enhanced), (code, text)
        assert not [r for r in caplog.records if r.exc_info]
        assert s.mail("x@remote.test")[0] == 250


@pytest.mark.parametrize(
    ("line", "enhanced"),
    [
        (f"RCPT TO:<{ALICE}", b"5.1.3 "),
        (f"RCPT TO:<{ALICE} NOTIFY=NEVER", b"5.1.3 "),
        (f"RCPT TO:<{ALICE}> NOTIFY=NEVER NOTIFY=NEVER", b"5.5.4 "),
        ("RCPT TO:<>", b"5.1.3 "),
        ("RCPT TO:", b"5.5.2 "),
    ],
)
def test_rcpt_syntax_errors_are_501_with_enhanced_codes(world: World, line: str, enhanced: bytes) -> None:
    with world.smtp() as s:
        s.ehlo()
        assert s.mail("x@remote.test")[0] == 250
        code, text = s.docmd(line)
        assert code == 501 and text.startswith(enhanced), (code, text)
        assert s.rcpt(ALICE)[0] == 250


def test_parsers_know_postmaster() -> None:
    assert paths.parse_path("<PostMaster> NOTIFY=NEVER") == ("postmaster", "NOTIFY=NEVER")
    assert params.rcpt_command("TO:<Postmaster>", True)[0] == "postmaster"
    with pytest.raises(params.ParamError) as err:
        params.mail_command("FROM:<Postmaster>", True, 0)
    assert err.value.reply.startswith("501 5.1.7 ")
