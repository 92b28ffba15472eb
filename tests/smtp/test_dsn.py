"""RFC 3461 DSN parameters at MX and submission (#12 item 6, the SMTP side): MAIL FROM RET= ENVID=,
RCPT TO NOTIFY= ORCPT=, validated with 501 5.5.4 and carried to the outbound queue."""

from __future__ import annotations

import json
import smtplib

import pytest

from services.smtp import params
from tests.fixtures.outbound import outbound_entries
from tests.fixtures.seed import seed_user
from tests.smtp.conftest import DOMAIN, PASSWORD, World, message

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


def _submit(world: World) -> smtplib.SMTP:
    s = world.smtp(world.submission)
    s.starttls(context=world.tls_context())
    s.ehlo()
    s.login(ALICE, PASSWORD)
    return s


# -- xtext (RFC 3461 4) and the parameter parsers, sans-I/O ------------------------------


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [("", ""), ("abc", "abc"), ("a+2Bb", "a+b"), ("+3D+20x", "= x"), ("Q+2b1", "Q+1"), ("~!", "~!")],
)
def test_xtext_decodes(raw: str, decoded: str) -> None:
    assert params.xtext_decode(raw) == decoded
    assert params.xtext_decode(params.xtext_encode(decoded)) == decoded


@pytest.mark.parametrize("raw", ["+", "+2", "+ZZ", "a=b", "a b", "a\x01", "é", "a+2"])
def test_bad_xtext(raw: str) -> None:
    with pytest.raises(ValueError):
        params.xtext_decode(raw)


def test_xtext_encodes_what_it_must() -> None:
    assert params.xtext_encode("a+b=c d") == "a+2Bb+3Dc+20d"


def test_mail_parameters() -> None:
    p = params.mail_params("size=100 RET=hdrs ENVID=QQ+2B314 BODY=8bitmime SMTPUTF8", 1000)
    assert p == params.MailParams(size=100, body="8BITMIME", smtputf8=True, ret="HDRS", envid="QQ+314")
    assert params.mail_params("", 1000) == params.MailParams()


@pytest.mark.parametrize(
    ("text", "code", "enhanced"),
    [
        ("RET=ALL", 501, "5.5.4"),
        ("RET", 501, "5.5.4"),
        ("ENVID=+ZZ", 501, "5.5.4"),
        ("ENVID=+00", 501, "5.5.4"),  # decodes to a control character
        ("ENVID=" + "x" * 101, 501, "5.5.4"),
        ("RET=FULL RET=HDRS", 501, "5.5.4"),
        ("SIZE=1 size=2", 501, "5.5.4"),
        ("SIZE=x", 501, "5.5.4"),
        ("SIZE=2000", 552, "5.3.4"),
        ("BODY=BINARYMIME", 501, "5.5.4"),
        ("SMTPUTF8=yes", 501, "5.5.4"),
        ("X-FOO=1", 555, "5.5.4"),
        ("=1", 501, "5.5.4"),
        ("SIZE=", 501, "5.5.4"),
    ],
)
def test_bad_mail_parameters(text: str, code: int, enhanced: str) -> None:
    with pytest.raises(params.ParamError) as err:
        params.mail_params(text, 1000)
    assert (err.value.code, err.value.enhanced) == (code, enhanced)
    assert err.value.reply.startswith(f"{code} {enhanced} ")


def test_rcpt_parameters() -> None:
    p = params.rcpt_params("notify=success,Delay ORCPT=rfc822;Bob+2Bx@Example.ORG")
    assert p == params.RcptParams(notify=("SUCCESS", "DELAY"), orcpt="rfc822;Bob+2Bx@Example.ORG")
    assert params.rcpt_params("NOTIFY=NEVER").notify == ("NEVER",)
    assert params.rcpt_params("") == params.RcptParams()


@pytest.mark.parametrize(
    "text",
    [
        "NOTIFY=NEVER,SUCCESS",
        "NOTIFY=SOMETIMES",
        "NOTIFY=SUCCESS,",
        "NOTIFY",
        "ORCPT=bob@example.org",  # no addr-type
        "ORCPT=;bob@example.org",
        "ORCPT=rfc822;bob+zz@example.org",
        "ORCPT=rfc822;" + "x" * 500,
        "NOTIFY=DELAY NOTIFY=FAILURE",
    ],
)
def test_bad_rcpt_parameters(text: str) -> None:
    with pytest.raises(params.ParamError) as err:
        params.rcpt_params(text)
    assert (err.value.code, err.value.enhanced) == (501, "5.5.4")


# -- over SMTP ----------------------------------------------------------------------------


def test_dsn_advertised_on_mx_and_submission(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        assert s.has_extn("dsn")
    with _submit(world) as s:
        assert s.has_extn("dsn")


def test_submission_dsn_parameters_reach_the_outbound_queue(world: World) -> None:
    with _submit(world) as s:
        code, text = s.docmd(f"MAIL FROM:<{ALICE}> RET=HDRS ENVID=QQ+2B314")
        assert code == 250, text
        code, text = s.docmd("RCPT TO:<Friend@remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Friend+2Bx@Remote.test")
        assert code == 250, text
        code, text = s.docmd("RCPT TO:<other@remote.test> NOTIFY=NEVER")
        assert code == 250, text
        assert s.docmd("RCPT TO:<plain@remote.test>")[0] == 250
        assert s.docmd(f"RCPT TO:<{BOB}> NOTIFY=DELAY")[0] == 250  # local: accepted too
        assert s.data(message(msgid="<dsn@t>"))[0] == 250
    assert b"<dsn@t>" in world.messages(BOB)[0]
    [entry] = outbound_entries(world.env["KUBEMAIL_REDIS_URL"])
    assert (entry[b"ret"], entry[b"envid"]) == (b"HDRS", b"QQ+314")
    rcpts = {r["a"]: (r["no"], r["oc"]) for r in json.loads(entry[b"r"])}
    assert rcpts == {
        "Friend@remote.test": ("SUCCESS FAILURE", "rfc822;Friend+2Bx@Remote.test"),
        "other@remote.test": ("NEVER", ""),
        "plain@remote.test": ("", ""),
    }


def test_forward_copy_carries_notify_and_the_original_recipient(world: World) -> None:
    fwd = f"fwd@{DOMAIN}"
    world.run(seed_user(world.client, fwd, forward_to=["elsewhere@remote.test"]))
    with world.smtp() as s:
        s.ehlo()
        assert s.docmd("MAIL FROM:<x@remote.test> RET=FULL ENVID=e1")[0] == 250
        assert s.docmd(f"RCPT TO:<{fwd}> NOTIFY=FAILURE")[0] == 250
        assert s.data(message(msgid="<fwd@t>"))[0] == 250
    [entry] = outbound_entries(world.env["KUBEMAIL_REDIS_URL"])
    assert (entry[b"ret"], entry[b"envid"]) == (b"FULL", b"e1")
    rcpts = {r["a"]: (r["no"], r["oc"]) for r in json.loads(entry[b"r"])}
    assert rcpts == {"elsewhere@remote.test": ("FAILURE", f"rfc822;{fwd}")}


@pytest.mark.parametrize(
    "line",
    [
        "MAIL FROM:<x@remote.test> RET=EVERYTHING",
        "MAIL FROM:<x@remote.test> ENVID=a+zz",
        "MAIL FROM:<x@remote.test> RET=FULL RET=FULL",
    ],
)
def test_bad_mail_dsn_parameter_is_501_and_the_session_goes_on(world: World, line: str) -> None:
    with world.smtp() as s:
        s.ehlo()
        code, text = s.docmd(line)
        assert (code, text[:6]) == (501, b"5.5.4 "), text
        assert s.docmd("MAIL FROM:<x@remote.test>")[0] == 250


@pytest.mark.parametrize(
    "line",
    [
        f"RCPT TO:<{ALICE}> NOTIFY=NEVER,DELAY",
        f"RCPT TO:<{ALICE}> NOTIFY=LOUD",
        f"RCPT TO:<{ALICE}> ORCPT=rfc822",
        f"RCPT TO:<{ALICE}> ORCPT=rfc822;a+q",
    ],
)
def test_bad_rcpt_dsn_parameter_is_501(world: World, line: str) -> None:
    with world.smtp() as s:
        s.ehlo()
        assert s.docmd("MAIL FROM:<x@remote.test>")[0] == 250
        code, text = s.docmd(line)
        assert (code, text[:6]) == (501, b"5.5.4 "), text
        assert s.docmd(f"RCPT TO:<{ALICE}> NOTIFY=SUCCESS ORCPT=rfc822;{ALICE}")[0] == 250


def test_long_orcpt_fits_the_rcpt_line(world: World) -> None:
    """RFC 3461 4: RCPT TO may grow by 500 characters (NOTIFY and ORCPT)."""
    orcpt = "rfc822;" + "o" * 480 + "@remote.test"  # 499 characters
    with world.smtp() as s:
        s.ehlo()
        assert s.docmd("MAIL FROM:<x@remote.test> ENVID=" + "e" * 100 + " RET=HDRS")[0] == 250
        code, text = s.docmd(f"RCPT TO:<{ALICE}> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT={orcpt}")
        assert code == 250, text
