"""ENABLE (RFC 5161) through imaplib.enable: ENABLED response, effects (CONDSTORE -> MODSEQ,
IMAP4rev2 -> ESEARCH, UTF8=ACCEPT -> UTF-8 names), unknown extensions ignored, wrong state."""

from __future__ import annotations

import re

import pytest

from tests.imap.commands.util import Error, fill, force_state, pop, raw
from tests.imap.conftest import ImapHandle


def test_enable_condstore_and_unknown(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = imap.login()
    typ, data = c.enable("CONDSTORE X-UNKNOWN")
    assert typ == "OK"
    assert pop(c, "ENABLED") == [b"CONDSTORE"]
    typ, data = c.enable("CONDSTORE")  # already enabled: not listed again
    assert pop(c, "ENABLED") in ([b""], [])
    c.select("INBOX")
    typ, data = c.fetch("1", "(FLAGS)")
    assert b"MODSEQ (" in data[0]  # CONDSTORE enabled: FETCH carries MODSEQ
    c.logout()


def test_enable_rev2_and_utf8(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = imap.login()
    c.enable("IMAP4rev2")
    assert pop(c, "ENABLED") == [b"IMAP4rev2"]
    c.select("INBOX")
    assert pop(c, "RECENT") == []  # rev2 sessions get no RECENT
    typ, data = c.search(None, "ALL")
    assert typ == "OK" and data == [None]  # no plain SEARCH response any more ...
    es = pop(c, "ESEARCH")
    assert len(es) == 1 and re.fullmatch(rb'\(TAG "[A-Z]+\d+"\) ALL 1:2', es[0]), es  # ... but ESEARCH
    c.logout()
    d = imap.login()
    assert d.create("&AMQ-pfel")[0] == "OK"
    d.enable("UTF8=ACCEPT")
    assert pop(d, "ENABLED") == [b"UTF8=ACCEPT"]
    typ, data = d.list('""', "*pfel")
    assert typ == "OK" and "Äpfel".encode() in b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data)
    d.logout()


def test_enable_wrong_state(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        c.enable("CONDSTORE")  # not authenticated
    force_state(c, "NONAUTH")
    c.login("alice@example.test", "secret")
    with pytest.raises(Error, match="BAD"):
        raw(c, "ENABLE")  # needs at least one capability
    c.logout()
