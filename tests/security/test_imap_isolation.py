"""Invariant 8 over IMAP: a session logged in as alice reaches only alice's data. Mailbox
names that look like paths, namespaces, other users, mailbox ids or blob ids are data: they
get NO/BAD (or name a mailbox of alice's own), and bob's mailboxes stay unchanged as the
metadata API sees them."""

from __future__ import annotations

from tests.security.conftest import ALICE_MARK, BOB, BOB_SECRET, Imap, Suite

TRICK_NAMES = [
    "../bob/INBOX",
    "../../bob/INBOX",
    "/INBOX",
    "//bob/INBOX",
    "INBOX/../..",
    "INBOX/../../bob/INBOX",
    "inbox/../bob",
    "~bob",
    "~bob/INBOX",
    "~/INBOX",
    "#shared/bob",
    "#shared/bob/INBOX",
    "#user/bob",
    "#user/bob/INBOX",
    "#public/bob",
    "user/bob",
    "user.bob",
    "Other Users/bob",
    "Other Users/bob@example.test/INBOX",  # bob shares nothing with alice
    "Other Users/bob@example.test/Secret",
    "Other Users/BOB@example.test/Secret",
    "Other Users/bob@example.test/../Secret",
    "Other Users/alice@example.test/../bob@example.test/INBOX",
    "bob@example.test",
    "bob@example.test/INBOX",
    "Secret",  # bob has it, alice has not
    "Secret/Sub",
    "SECRET",
    "INBOX\\..\\bob",
    "&AC8-INBOX",  # modified UTF-7 "/INBOX"
    "&AC8-bob&AC8-INBOX",  # "/bob/INBOX"
    "&AC4ALgAv-bob&AC8-INBOX",  # "../bob/INBOX"
    "..&AC8-bob",  # "../bob"
    "&AH4-bob",  # "~bob"
    "&ACM-user&AC8-bob",  # "#user/bob"
    "&AC8-&AC8-",
    "&-",  # "&"
    "&AAA-",  # NUL in modified UTF-7
    "&AA0ACg-",  # CR LF in modified UTF-7
    "*",
    "%",
    "a" * 5000,
    "x/" * 40 + "x",  # deeper than the hierarchy limit
]

CONTROL_NAMES = [b"INBOX\x00bob", b"bob\r\nINBOX", b"\x1b[2J", b"In\x7fbox", b"\x00", b"Secret\x00"]


def _login(suite: Suite) -> Imap:
    c = Imap(suite.imap_port)
    c.login()
    return c


def _q(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _no_or_bad(tag: str, tagged: bytes) -> bool:
    return tagged.startswith(f"{tag} NO".encode()) or tagged.startswith(f"{tag} BAD".encode())


def _ids(suite: Suite) -> list[str]:
    """Everything an attacker might guess: bob's mailbox ids, user id and hash-tagged keys."""
    snap = suite.snapshot(BOB)
    bob_id = suite.uid(BOB)
    names = [v[0] for v in snap.values()]
    names += [bob_id, f"{bob_id}/INBOX", f"{{u:{bob_id}}}", f"{{u:{bob_id}}}/INBOX", f"u:{bob_id}:mbox:1"]
    return names


def _attack_all(c: Imap, names: list[str]) -> list[tuple[str, str, bytes]]:
    """Runs every mailbox-naming command against each name; returns the unexpected answers."""
    bad: list[tuple[str, str, bytes]] = []
    msg = b"From: a@x\r\nSubject: x\r\n\r\nplanted\r\n"
    for i, name in enumerate(names):
        q = _q(name)
        checks = {
            "SELECT": f"SELECT {q}",
            "EXAMINE": f"EXAMINE {q}",
            "STATUS": f"STATUS {q} (MESSAGES UIDNEXT UNSEEN)",
            "DELETE": f"DELETE {q}",
            "RENAME": f'RENAME {q} "stolen{i}"',
        }
        for what, text in checks.items():
            lines, t = c.cmd("t", text)
            if not _no_or_bad("t", t):
                bad.append((what, name, t))
            if what == "SELECT" and t.startswith(b"t OK"):
                c.cmd("u", "UNSELECT")
        _, t = c.cmd_lit("a", f"APPEND {q} ".encode(), [msg])
        if not _no_or_bad("a", t):
            bad.append(("APPEND", name, t))
        c.cmd("s", "SELECT INBOX")
        for verb in ("COPY", "MOVE", "UID COPY", "UID MOVE"):
            _, t = c.cmd("c", f"{verb} 1:* {q}")
            if not _no_or_bad("c", t):
                bad.append((verb, name, t))
        c.cmd("u", "UNSELECT")
        for ref, pat in ((q, '"*"'), ('""', q), (q, q)):
            lines, t = c.cmd("l", f"LIST {ref} {pat}")
            leaked = [ln for ln in lines if b"Secret" in ln or b"bob" in ln.lower()]
            if leaked and not any(ln.startswith(b"* LIST") and b"stolen" in ln for ln in leaked):
                bad.append(("LIST", name, b" | ".join(leaked)))
    return bad


def test_selecting_and_changing_bobs_mailboxes_by_name_is_refused(suite: Suite, bob_unchanged: None) -> None:
    c = _login(suite)
    bad = _attack_all(c, TRICK_NAMES + _ids(suite))
    # the session survives all of it
    _, t = c.cmd("n", "NOOP")
    assert t.startswith(b"n OK")
    c.close()
    assert not bad, bad


def test_control_characters_in_names_get_protocol_errors(suite: Suite, bob_unchanged: None) -> None:
    c = _login(suite)
    msg = b"From: a@x\r\n\r\nx\r\n"
    for raw in CONTROL_NAMES:
        for head in (b"SELECT ", b"STATUS ", b"CREATE ", b"DELETE ", b"SUBSCRIBE "):
            tail = b" (MESSAGES)" if head == b"STATUS " else b""
            _, t = c.cmd_lit("x", head, [raw], tail)
            assert _no_or_bad("x", t), (head, raw, t)
        _, t = c.cmd_lit("x", b"RENAME INBOX ", [raw])
        assert _no_or_bad("x", t), (raw, t)
        _, t = c.cmd_lit("x", b"APPEND ", [raw, msg])
        assert _no_or_bad("x", t), (raw, t)
        # the same bytes inside a quoted string (where they are not even allowed)
        c.send(b'q SELECT "' + raw.replace(b"\r\n", b"") + b'"\r\n')
        _, t = c.until("q")
        assert _no_or_bad("q", t), (raw, t)
    _, t = c.cmd("n", "NOOP")
    assert t.startswith(b"n OK")
    lines, _ = c.cmd("l", 'LIST "" *')
    assert not any(b"\x00" in ln or b"\x1b" in ln for ln in lines), lines
    c.close()


def test_a_very_long_mailbox_name_is_refused(suite: Suite, bob_unchanged: None) -> None:
    c = _login(suite)
    for head in (b"SELECT ", b"CREATE "):
        _, t = c.cmd_lit("x", head, [b"a" * 100_000])
        assert _no_or_bad("x", t), t
    _, t = c.cmd("n", "NOOP")
    assert t.startswith(b"n OK")
    c.close()


def test_case_variants_of_inbox_are_alices_own_inbox(suite: Suite, bob_unchanged: None) -> None:
    c = _login(suite)
    for name in ("INBOX", "inbox", "InBoX", "iNbOx"):
        lines, t = c.cmd("s", f"SELECT {_q(name)}")
        assert t.startswith(b"s OK"), (name, t)
        assert b"* 1 EXISTS" in lines, (name, lines)  # alice has one message, bob two
        flines, t = c.cmd("f", "FETCH 1:* BODY.PEEK[]")
        body = b"\n".join(flines)
        assert ALICE_MARK in body and BOB_SECRET not in body
    c.close()


def test_blob_ids_reach_nothing(suite: Suite, bob_unchanged: None) -> None:
    """bob's blob ids (sha256) are useless to alice in any IMAP command."""
    c = _login(suite)
    out: list[bytes] = []
    for blob in suite.bob_blobs:
        for text in (
            f"SELECT {blob}",
            f"EXAMINE {blob}",
            f"STATUS {blob} (MESSAGES)",
            f'STATUS "blobs/{blob}" (MESSAGES)',
        ):
            lines, t = c.cmd("b", text)
            assert _no_or_bad("b", t), (text, t)
            out += lines
        c.cmd("s", "SELECT INBOX")
        for text in (
            f"FETCH 1 BODY.PEEK[{blob}]",
            f"FETCH {blob} BODY.PEEK[]",
            f"UID FETCH {blob} BODY.PEEK[]",
            f"FETCH 1 BINARY.PEEK[{blob}]",
            f"UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS ({blob})])",
            f"SEARCH TEXT {blob}",
            f"COPY 1 {blob}",
        ):
            lines, t = c.cmd("f", text)
            out += [*lines, t]
        c.cmd("u", "UNSELECT")
    joined = b"\n".join(out)
    assert BOB_SECRET not in joined
    c.close()


def test_names_are_data_created_tricks_land_in_alices_account(suite: Suite, bob_unchanged: None) -> None:
    """alice may create mailboxes with path-like names; they are hers, and APPEND / COPY /
    RENAME into them never reaches bob (runs last: it gives alice these mailboxes)."""
    c = _login(suite)
    before = suite.snapshot("alice@example.test")
    created = []
    for name in ("../bob/INBOX", "~bob", "#user/bob", "Secret", "&AC4ALgAv-bob&AC8-Secret"):
        _, t = c.cmd("c", f"CREATE {_q(name)}")
        assert t.startswith((b"c OK", b"c NO", b"c BAD")), t
        if t.startswith(b"c OK"):
            created.append(name)
            _, t = c.cmd_lit("a", f"APPEND {_q(name)} ".encode(), [b"From: a@x\r\n\r\nplanted\r\n"])
            assert t.startswith(b"a OK"), (name, t)
            c.cmd("s", "SELECT INBOX")
            _, t = c.cmd("k", f"COPY 1 {_q(name)}")
            assert t.startswith(b"k OK"), (name, t)
            c.cmd("u", "UNSELECT")
    _, t = c.cmd("r", 'RENAME "Drafts" "../bob/Secret"')
    assert t.startswith((b"r OK", b"r NO", b"r BAD")), t
    c.close()
    after = suite.snapshot("alice@example.test")
    added = sum(len(v[-1]) for v in after.values()) - sum(len(v[-1]) for v in before.values())
    assert added == 2 * len(created)  # every planted message is alice's own
