"""IMAP URLs of CATENATE (RFC 4469 5, RFC 5092 forms) parsed sans-I/O: the same-server relative
form with UIDVALIDITY, UID, SECTION (percent-encoded) and PARTIAL; everything else refused."""

from __future__ import annotations

import pytest

from services.imap.grammar import Section
from services.imap.imapurl import MessageUrl, UrlError, parse


def test_parse_message_urls() -> None:
    assert parse(b"/INBOX/;UID=7") == MessageUrl(b"INBOX", None, 7)
    assert parse(b"/Sent%20Items;UIDVALIDITY=42/;UID=3/;SECTION=1.2") == MessageUrl(
        b"Sent Items", 42, 3, Section((1, 2))
    )
    got = parse(b"/a/b;uidvalidity=1/;uid=2/;section=HEADER.FIELDS%20(SUBJECT%20FROM)/;partial=10.20")
    assert got == MessageUrl(b"a/b", 1, 2, Section((), "HEADER.FIELDS", ("SUBJECT", "FROM")), (10, 20))
    assert parse(b"/INBOX/;UID=1/;PARTIAL=5").partial == (5, None)


@pytest.mark.parametrize(
    "url",
    [
        b"imap://user@host/INBOX/;UID=1",  # another server: not this form
        b"//host/INBOX/;UID=1",
        b"INBOX/;UID=1",  # relative to an unknown base
        b"/INBOX",  # no message
        b"/INBOX/;UID=0",
        b"/INBOX/;UID=x",
        b"/INBOX/;SECTION=1/;UID=2",  # out of order
        b"/INBOX/;UID=1/;UID=2",
        b"/INBOX/;UID=1/;URLAUTH=anonymous",
        b"/INBOX;FOO=1/;UID=1",
        b"/IN%ZZBOX/;UID=1",  # bad percent-encoding
        b"/INBOX/;UID=1/;SECTION=BOGUS",
        b"/INBOX/;UID=1/;PARTIAL=a.b",
        b"/;UID=1",
    ],
)
def test_refused_urls(url: bytes) -> None:
    with pytest.raises(UrlError):
        parse(url)
