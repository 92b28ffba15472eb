"""The parser's output, whole: each command line parses to exactly this Command, arguments
included (typed records from services.imap.grammar), so a change in what a handler is given
shows up here."""

from __future__ import annotations

import pytest

from services.imap.grammar import (
    COMMANDS,
    AppendArgs,
    AppendMessage,
    AuthenticateArgs,
    CatUrl,
    Command,
    CopyArgs,
    CreateArgs,
    FetchArgs,
    FetchAtt,
    ListArgs,
    LoginArgs,
    QresyncArgs,
    RenameArgs,
    SearchArgs,
    Section,
    SelectArgs,
    SortArgs,
    StatusArgs,
    StoreArgs,
    ThreadArgs,
)
from services.imap.grammar_meta import AclArgs, GetMetadataArgs, SetMetadataArgs
from services.imap.grammar_notify import EventGroup, NotifyArgs
from services.imap.receiver import Continue, Receiver

STAR = None  # "*" in a sequence set

CASES: list[tuple[bytes, Command]] = [
    (b"a CAPABILITY", Command("a", "CAPABILITY")),
    (b"a NOOP", Command("a", "NOOP")),
    (b"a LOGOUT", Command("a", "LOGOUT")),
    (b"a STARTTLS", Command("a", "STARTTLS")),
    (b"a NAMESPACE", Command("a", "NAMESPACE")),
    (b"a IDLE", Command("a", "IDLE")),
    (b"a COMPRESS deflate", Command("a", "COMPRESS", args="DEFLATE")),
    (b'a CANCELUPDATE "t1" "t2"', Command("a", "CANCELUPDATE", args=("t1", "t2"))),  # RFC 5267 4.3
    (b"a CHECK", Command("a", "CHECK")),
    (b"a CLOSE", Command("a", "CLOSE")),
    (b"a UNSELECT", Command("a", "UNSELECT")),
    (b"a EXPUNGE", Command("a", "EXPUNGE")),
    (b"a UID EXPUNGE 1:3,5", Command("a", "EXPUNGE", True, ((1, 3), (5, 5)))),
    (b'a LOGIN bob "p\\"w"', Command("a", "LOGIN", args=LoginArgs(b"bob", b'p"w'))),
    (b"a LOGIN {3+}\r\nbob {2+}\r\npw", Command("a", "LOGIN", args=LoginArgs(b"bob", b"pw"))),
    (
        b"a AUTHENTICATE plain AGJvYgBwdw==",
        Command("a", "AUTHENTICATE", args=AuthenticateArgs("PLAIN", b"AGJvYgBwdw==")),
    ),
    (b"a AUTHENTICATE LOGIN", Command("a", "AUTHENTICATE", args=AuthenticateArgs("LOGIN"))),
    (b"a ENABLE QRESYNC condstore", Command("a", "ENABLE", args=["QRESYNC", "CONDSTORE"])),
    (b'a ID ("name" "x" "version" NIL)', Command("a", "ID", args=[(b"name", b"x"), (b"version", None)])),
    (b"a ID NIL", Command("a", "ID")),
    # SELECT / EXAMINE, CONDSTORE and QRESYNC (RFC 7162 3.2.5)
    (b"a SELECT INBOX", Command("a", "SELECT", args=SelectArgs(b"INBOX"))),
    (b"a SELECT INBOX (CONDSTORE)", Command("a", "SELECT", args=SelectArgs(b"INBOX", condstore=True))),
    (b'a EXAMINE "Sent Items"', Command("a", "EXAMINE", args=SelectArgs(b"Sent Items"))),
    (
        b"a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
        Command(
            "a",
            "SELECT",
            args=SelectArgs(
                b"INBOX",
                qresync=QresyncArgs(67890007, 20050715194045000, ((41, 41), (43, 211), (214, 541))),
            ),
        ),
    ),
    (
        b"a EXAMINE INBOX (CONDSTORE QRESYNC (1 5 1:10 (1,3 2,5)))",
        Command(
            "a",
            "EXAMINE",
            args=SelectArgs(b"INBOX", True, QresyncArgs(1, 5, ((1, 10),), (((1, 1), (3, 3)), ((2, 2), (5, 5))))),
        ),
    ),
    (
        b"a SELECT INBOX (QRESYNC (1 5 (2:* 7:*)))",
        Command(
            "a",
            "SELECT",
            args=SelectArgs(b"INBOX", qresync=QresyncArgs(1, 5, None, (((2, STAR),), ((7, STAR),)))),
        ),
    ),
    (b"a CREATE foo/bar", Command("a", "CREATE", args=CreateArgs(b"foo/bar"))),
    (b"a CREATE foo/bar (USE (\\Sent))", Command("a", "CREATE", args=CreateArgs(b"foo/bar", ("\\Sent",)))),
    (b"a DELETE foo", Command("a", "DELETE", args=b"foo")),
    (b"a RENAME foo {3+}\r\nbar", Command("a", "RENAME", args=RenameArgs(b"foo", b"bar"))),
    (b"a SUBSCRIBE foo", Command("a", "SUBSCRIBE", args=b"foo")),
    (b"a UNSUBSCRIBE foo", Command("a", "UNSUBSCRIBE", args=b"foo")),
    # LIST (RFC 3501, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819), LSUB
    (b'a LIST "" *', Command("a", "LIST", args=ListArgs(b"", (b"*",)))),
    (b'a LIST "" ""', Command("a", "LIST", args=ListArgs(b"", (b"",)))),
    (
        b'a LIST (SUBSCRIBED recursivematch) "" ("*" %) RETURN (CHILDREN STATUS (MESSAGES unseen))',
        Command(
            "a",
            "LIST",
            args=ListArgs(
                b"",
                (b"*", b"%"),
                select=("SUBSCRIBED", "RECURSIVEMATCH"),
                ret=("CHILDREN", "STATUS"),
                status_items=("MESSAGES", "UNSEEN"),
                extended=True,
            ),
        ),
    ),
    (b'a LIST "" % RETURN ()', Command("a", "LIST", args=ListArgs(b"", (b"%",), extended=True))),
    (b'a LSUB "" %', Command("a", "LSUB", args=ListArgs(b"", (b"%",), lsub=True))),
    (
        b"a STATUS INBOX (MESSAGES uidnext SIZE HIGHESTMODSEQ)",
        Command("a", "STATUS", args=StatusArgs(b"INBOX", ("MESSAGES", "UIDNEXT", "SIZE", "HIGHESTMODSEQ"))),
    ),
    # APPEND: flags, date-time (to unix seconds, zone applied), UTF8 (RFC 6855), MULTIAPPEND
    # (RFC 3502), CATENATE (RFC 4469)
    (
        b'a APPEND INBOX (\\Seen $Work) " 5-Mar-2021 10:00:00 +0100" {11+}\r\nhello world',
        Command(
            "a",
            "APPEND",
            args=AppendArgs(b"INBOX", (AppendMessage(("\\Seen", "$Work"), 1614934800, b"hello world"),)),
        ),
    ),
    (
        b"a APPEND INBOX {5+}\r\nhello",
        Command("a", "APPEND", args=AppendArgs(b"INBOX", (AppendMessage((), None, b"hello"),))),
    ),
    (
        b"a APPEND Drafts () UTF8 (~{2+}\r\nhi)",
        Command("a", "APPEND", args=AppendArgs(b"Drafts", (AppendMessage((), None, b"hi", utf8=True),))),
    ),
    (
        b"a APPEND INBOX {2+}\r\nm1 (\\Seen) ~{2+}\r\nm2 CATENATE (TEXT {1+}\r\nx URL /INBOX/;UID=3)",
        Command(
            "a",
            "APPEND",
            args=AppendArgs(
                b"INBOX",
                (
                    AppendMessage((), None, b"m1"),
                    AppendMessage(("\\Seen",), None, b"m2"),
                    AppendMessage((), None, catenate=(b"x", CatUrl(b"/INBOX/;UID=3"))),
                ),
            ),
        ),
    ),
    (b"a GETQUOTAROOT INBOX", Command("a", "GETQUOTAROOT", args=b"INBOX")),
    (b'a GETQUOTA ""', Command("a", "GETQUOTA", args=b"")),
    (b'a SETQUOTA "" (STORAGE 512)', Command("a", "SETQUOTA", args=(b"", ["STORAGE 512"]))),
    (
        b'a GETMETADATA (MAXSIZE 10 DEPTH infinity) "" (/Private/A /shared/b)',
        Command("a", "GETMETADATA", args=GetMetadataArgs(b"", ("/private/a", "/shared/b"), 10, -1)),
    ),
    (b"a GETMETADATA INBOX /shared/b", Command("a", "GETMETADATA", args=GetMetadataArgs(b"INBOX", ("/shared/b",)))),
    (b"a SETACL INBOX bob@x +lr", Command("a", "SETACL", args=AclArgs(b"INBOX", "bob@x", "+lr"))),
    (b"a DELETEACL INBOX bob@x", Command("a", "DELETEACL", args=AclArgs(b"INBOX", "bob@x"))),
    (b'a GETACL "Other Users/b@x/T"', Command("a", "GETACL", args=AclArgs(b"Other Users/b@x/T"))),
    (b"a LISTRIGHTS INBOX bob@x", Command("a", "LISTRIGHTS", args=AclArgs(b"INBOX", "bob@x"))),
    (b"a MYRIGHTS INBOX", Command("a", "MYRIGHTS", args=AclArgs(b"INBOX"))),
    (b"a NOTIFY NONE", Command("a", "NOTIFY", args=NotifyArgs())),
    (
        b"a NOTIFY SET STATUS (selected (MessageNew (UID) MessageExpunge)) (subtree (a b) NONE)",
        Command(
            "a",
            "NOTIFY",
            args=NotifyArgs(
                (
                    EventGroup("SELECTED", (), ("MESSAGENEW", "MESSAGEEXPUNGE"), b"(UID)"),
                    EventGroup("SUBTREE", (b"a", b"b"), ()),
                ),
                True,
            ),
        ),
    ),
    (
        b'a SETMETADATA INBOX (/private/a "x" /shared/B NIL)',
        Command("a", "SETMETADATA", args=SetMetadataArgs(b"INBOX", (("/private/a", b"x"), ("/shared/b", None)))),
    ),
    # SEARCH: the key tree, CHARSET, ESEARCH RETURN (RFC 4731)
    (
        b"a SEARCH CHARSET utf-8 OR SEEN (UID 1:5 FROM {4+}\r\nbob\xc3) NOT SINCE 1-Feb-2020",
        Command(
            "a",
            "SEARCH",
            args=SearchArgs(
                (
                    "AND",
                    [
                        ("OR", ("FLAG", "\\Seen"), ("AND", [("UID", ((1, 5),)), ("HEADER", "from", b"bob\xc3")])),
                        ("NOT", ("SINCE", 1580515200)),
                    ],
                ),
                "UTF-8",
            ),
        ),
    ),
    (
        b'a UID SEARCH RETURN (MIN MAX COUNT) UNSEEN LARGER 100 HEADER X-Foo "" MODSEQ 5',
        Command(
            "a",
            "SEARCH",
            True,
            SearchArgs(
                ("AND", [("NOFLAG", "\\Seen"), ("LARGER", 100), ("HEADER", "x-foo", b""), ("MODSEQ", 5)]),
                ret=("MIN", "MAX", "COUNT"),
            ),
        ),
    ),
    (b"a SEARCH RETURN () ALL", Command("a", "SEARCH", args=SearchArgs(("ALL",), ret=()))),
    (  # RFC 5267 4.4 PARTIAL, the range normalised
        b"a SEARCH RETURN (COUNT PARTIAL 9:3) ALL",
        Command("a", "SEARCH", args=SearchArgs(("ALL",), ret=("COUNT", "PARTIAL"), partial=(3, 9))),
    ),
    (  # RFC 8970 PREVIEW (LAZY) next to another item
        b"a FETCH 1 (PREVIEW (LAZY) UID)",
        Command("a", "FETCH", args=FetchArgs(((1, 1),), (FetchAtt("PREVIEW", lazy=True), FetchAtt("UID")))),
    ),
    (
        b"a SEARCH $ KEYWORD $Work YOUNGER 60",
        Command("a", "SEARCH", args=SearchArgs(("AND", [("SEQ", ((-1, -1),)), ("FLAG", "$Work"), ("YOUNGER", 60)]))),
    ),
    # SORT (RFC 5256) with ESORT RETURN (RFC 5267); THREAD (RFC 5256)
    (
        b"a UID SORT RETURN (MIN COUNT) (REVERSE DATE subject DISPLAYFROM) utf-8 SEEN SAVEDON 1-Feb-2020",
        Command(
            "a",
            "SORT",
            uid=True,
            args=SortArgs(
                (("DATE", True), ("SUBJECT", False), ("DISPLAYFROM", False)),
                "UTF-8",
                ("AND", [("FLAG", "\\Seen"), ("SAVEDON", 1580515200)]),
                ("MIN", "COUNT"),
            ),
        ),
    ),
    (
        b"a SORT (ARRIVAL) US-ASCII ALL",
        Command("a", "SORT", args=SortArgs((("ARRIVAL", False),), "US-ASCII", ("ALL",))),
    ),
    (
        b"a THREAD references UTF-8 1:3",
        Command("a", "THREAD", args=ThreadArgs("REFERENCES", "UTF-8", ("SEQ", ((1, 3),)))),
    ),
    # FETCH: items, macros, sections and partials, CHANGEDSINCE / VANISHED (RFC 7162)
    (
        b"a FETCH 1:* (FLAGS UID BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BODY[1.2.MIME] BINARY.SIZE[1])",
        Command(
            "a",
            "FETCH",
            args=FetchArgs(
                ((1, STAR),),
                (
                    FetchAtt("FLAGS"),
                    FetchAtt("UID"),
                    FetchAtt("BODY[]", Section((), "HEADER.FIELDS", ("From", "To")), True, (0, 100)),
                    FetchAtt("BODY[]", Section((1, 2), "MIME")),
                    FetchAtt("BINARY.SIZE", Section((1,))),
                ),
            ),
        ),
    ),
    (
        b"a UID FETCH 1:* ALL (CHANGEDSINCE 12 VANISHED)",
        Command(
            "a",
            "FETCH",
            True,
            FetchArgs(
                ((1, STAR),),
                (FetchAtt("FLAGS"), FetchAtt("INTERNALDATE"), FetchAtt("RFC822.SIZE"), FetchAtt("ENVELOPE")),
                changed_since=12,
                vanished=True,
            ),
        ),
    ),
    (
        b"a FETCH 2,4:6 BINARY.PEEK[1]<10.20>",
        Command("a", "FETCH", args=FetchArgs(((2, 2), (4, 6)), (FetchAtt("BINARY[]", Section((1,)), True, (10, 20)),))),
    ),
    (b"a FETCH 2 body", Command("a", "FETCH", args=FetchArgs(((2, 2),), (FetchAtt("BODY"),)))),
    (b"a FETCH 2 BODY[]", Command("a", "FETCH", args=FetchArgs(((2, 2),), (FetchAtt("BODY[]", Section()),)))),
    # STORE: mode, .SILENT, flags with and without parentheses, UNCHANGEDSINCE
    (
        b"a STORE 1:3 +FLAGS.SILENT (\\Seen $Forwarded)",
        Command("a", "STORE", args=StoreArgs(((1, 3),), "ADD", True, ("\\Seen", "$Forwarded"))),
    ),
    (
        b"a UID STORE 1 (UNCHANGEDSINCE 9) FLAGS \\Deleted \\Seen",
        Command("a", "STORE", True, StoreArgs(((1, 1),), "REPLACE", False, ("\\Deleted", "\\Seen"), 9)),
    ),
    (b"a STORE $ -flags ()", Command("a", "STORE", args=StoreArgs(((-1, -1),), "REMOVE", False, ()))),
    (b"a COPY 1:2 Archive", Command("a", "COPY", args=CopyArgs(((1, 2),), b"Archive"))),
    (b'a UID MOVE 4:* "Old Mail"', Command("a", "MOVE", True, CopyArgs(((4, STAR),), b"Old Mail"))),
]


def parse(line: bytes) -> object:
    """The single event the receiver makes of one command line (CRLF added)."""
    r = Receiver()
    r.feed(line + b"\r\n")
    events = []
    while (ev := r.next()) is not None:
        if not isinstance(ev, Continue):
            events.append(ev)
    assert len(events) == 1, events
    return events[0]


@pytest.mark.parametrize(("line", "expected"), CASES, ids=[c[0][:48].decode("latin-1") for c in CASES])
def test_parsed_command_is_exactly(line: bytes, expected: Command) -> None:
    assert parse(line) == expected


def test_cases_cover_every_command() -> None:
    assert {c.name for _, c in CASES} == set(COMMANDS)
