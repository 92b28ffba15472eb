"""CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE LIST LSUB STATUS NAMESPACE, mailbox name encoding,
LIST-EXTENDED / LIST-STATUS / SPECIAL-USE / CHILDREN, QUOTA, ENABLE, ID."""

from __future__ import annotations

from tests.imap.conftest import ImapHandle, Raw, msg


def _names(lines: list[bytes]) -> list[bytes]:
    return [ln.rsplit(b' "/" ', 1)[1] for ln in lines if ln.startswith((b"* LIST", b"* LSUB"))]


def test_create_list_rename_delete(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    for tag, name in (("c1", "Work"), ("c2", "Work/Projects"), ("c3", "Deep/a/b")):
        _, t = r.cmd(tag, f"CREATE {name}")
        assert t.startswith(tag.encode() + b" OK"), t
    _, t = r.cmd("c4", "CREATE Work")
    assert t.startswith(b"c4 NO [ALREADYEXISTS]")
    _, t = r.cmd("c5", "CREATE INBOX")
    assert t.startswith(b"c5 NO")
    _, t = r.cmd("c6", 'CREATE "bad*name"')
    assert t.startswith(b"c6 NO")
    lines, t = r.cmd("l1", 'LIST "" "*"')
    assert t.startswith(b"l1 OK")
    names = _names(lines)
    assert b'"INBOX"' in names and b'"Work/Projects"' in names and b'"Deep/a"' in names  # parents created
    work = next(ln for ln in lines if ln.endswith(b'"Work"'))
    assert b"\\HasChildren" in work
    lines, _ = r.cmd("l2", 'LIST "" "%"')
    assert b'"Work/Projects"' not in _names(lines) and b'"Work"' in _names(lines)
    lines, _ = r.cmd("l3", 'LIST "Work/" "%"')
    assert _names(lines) == [b'"Work/Projects"']
    lines, _ = r.cmd("l4", 'LIST "" ""')
    assert lines == [b'* LIST (\\Noselect) "/" ""']
    lines, _ = r.cmd("l5", 'LIST "" "inbox"')
    assert _names(lines) == [b'"INBOX"']
    _, t = r.cmd("r1", "RENAME Work Job")
    assert t.startswith(b"r1 OK"), t
    lines, _ = r.cmd("l6", 'LIST "" "Job*"')
    assert set(_names(lines)) == {b'"Job"', b'"Job/Projects"'}
    _, t = r.cmd("r2", "RENAME Nope Other")
    assert t.startswith(b"r2 NO")
    _, t = r.cmd("d1", "DELETE Job/Projects")
    assert t.startswith(b"d1 OK")
    _, t = r.cmd("d2", "DELETE Job/Projects")
    assert t.startswith(b"d2 NO")
    _, t = r.cmd("d3", "DELETE INBOX")
    assert t.startswith(b"d3 NO")
    r.close()


def test_mailbox_names_utf7_and_utf8(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("c1", "CREATE &AMQ-pfel")  # "Äpfel" in modified UTF-7
    assert t.startswith(b"c1 OK"), t
    lines, _ = r.cmd("l1", 'LIST "" "*pfel"')
    assert _names(lines) == [b'"&AMQ-pfel"']
    _, t = r.cmd("e1", "ENABLE UTF8=ACCEPT")
    lines, _ = r.cmd("l2", 'LIST "" "*pfel"')
    assert _names(lines) == [b"{6}\r\n" + "Äpfel".encode()]
    lines, t = r.cmd("s1", b"STATUS {6+}\r\n" + "Äpfel".encode() + b" (MESSAGES)")
    assert t.startswith(b"s1 OK"), t
    r.close()


def test_subscribe_lsub_and_list_extended(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    r.cmd("c1", "CREATE Lists/a")
    r.cmd("c2", "CREATE Lists/b")
    _, t = r.cmd("s1", "SUBSCRIBE Lists/a")
    assert t.startswith(b"s1 OK")
    r.cmd("s2", "SUBSCRIBE Ghost")
    lines, _ = r.cmd("l1", 'LSUB "" "*"')
    names = _names(lines)
    assert b'"Lists/a"' in names and b'"Ghost"' in names and b'"Lists/b"' not in names
    lines, _ = r.cmd("l2", 'LIST (SUBSCRIBED) "" "*"')
    ghost = next(ln for ln in lines if ln.endswith(b'"Ghost"'))
    assert b"\\NonExistent" in ghost and b"\\Subscribed" in ghost
    lines, _ = r.cmd("l3", 'LIST "" "Lists/*" RETURN (SUBSCRIBED CHILDREN)')
    a = next(ln for ln in lines if ln.endswith(b'"Lists/a"'))
    b = next(ln for ln in lines if ln.endswith(b'"Lists/b"'))
    assert b"\\Subscribed" in a and b"\\Subscribed" not in b and b"\\HasNoChildren" in b
    _, t = r.cmd("u1", "UNSUBSCRIBE Lists/a")
    lines, _ = r.cmd("l4", 'LSUB "" "Lists/*"')
    assert _names(lines) == []
    _, t = r.cmd("l5", 'LIST (BOGUS) "" "*"')
    assert t.startswith(b"l5 BAD")
    r.close()


def test_status_and_list_status(imap: ImapHandle) -> None:
    c = imap.login()
    c.append("INBOX", "(\\Seen)", None, msg(1))
    c.append("INBOX", None, None, msg(2))
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("s1", "STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY SIZE HIGHESTMODSEQ DELETED)")
    assert t.startswith(b"s1 OK")
    st = lines[0]
    assert st.startswith(b'* STATUS "INBOX" (MESSAGES 2 UNSEEN 1 UIDNEXT 3 UIDVALIDITY ')
    size = len(msg(1)) + len(msg(2))
    assert f"SIZE {size}".encode() in st and b"DELETED 0" in st
    _, t = r.cmd("s2", "STATUS INBOX (BOGUS)")
    assert t.startswith(b"s2 BAD")
    _, t = r.cmd("s3", "STATUS Nope (MESSAGES)")
    assert t.startswith(b"s3 NO")
    lines, t = r.cmd("l1", 'LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN))')
    assert lines[0].startswith(b"* LIST (") and lines[1] == b'* STATUS "INBOX" (MESSAGES 2 UNSEEN 1)'
    r.close()
    c.logout()


def test_special_use_namespace_quota_enable_id(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("c1", "CREATE MySent (USE (\\Sent))")
    assert t.startswith(b"c1 OK"), t
    _, t = r.cmd("c2", "CREATE Odd (USE (\\Bogus))")
    assert t.startswith(b"c2 NO [USEATTR]")
    lines, _ = r.cmd("l1", 'LIST (SPECIAL-USE) "" "*"')
    assert any(ln.endswith(b'"MySent"') and b"\\Sent" in ln for ln in lines)
    assert all(b"\\HasChildren" in ln or b"\\HasNoChildren" in ln for ln in lines)
    assert not any(ln.endswith(b'"INBOX"') for ln in lines)
    lines, _ = r.cmd("n1", "NAMESPACE")
    assert lines == [b'* NAMESPACE (("" "/")) NIL NIL']
    lines, t = r.cmd("q1", "GETQUOTAROOT INBOX")
    assert t.startswith(b"q1 OK") and lines[0].startswith(b'* QUOTAROOT "INBOX"')
    _, t = r.cmd("q2", 'SETQUOTA "" (STORAGE 10)')
    assert t.startswith(b"q2 NO")
    lines, t = r.cmd("e1", "ENABLE CONDSTORE X-UNKNOWN")
    assert lines == [b"* ENABLED CONDSTORE"]
    lines, t = r.cmd("i1", 'ID ("name" "test")')
    assert lines[0].startswith(b'* ID ("name" "kubemail"')
    r.close()


async def _set_quota(addr: str, quota: int) -> None:
    from services.common.grpcclient import MetadataClient
    from services.gen.kubemail.v1 import metadata_pb2 as pb
    from tests.imap.conftest import USER

    async with MetadataClient(addr) as c:
        await c.directory.UpsertUser(pb.User(address=USER, quota_bytes=quota, enabled=True))


def test_quota_reported_and_enforced(imap: ImapHandle) -> None:
    imap.run(_set_quota(imap.env["KUBEMAIL_METADATA_ADDR"], 10 * 1024))
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a", b"APPEND INBOX {%d+}\r\n" % 4096 + b"Subject: q\r\n\r\n" + b"x" * (4096 - 15))
    assert t.startswith(b"a OK"), t
    lines, t = r.cmd("q", "GETQUOTAROOT INBOX")
    assert lines == [b'* QUOTAROOT "INBOX" ""', b'* QUOTA "" (STORAGE 4 10)'], lines
    lines, t = r.cmd("g", 'GETQUOTA ""')
    assert lines == [b'* QUOTA "" (STORAGE 4 10)']
    big = b"Subject: big\r\n\r\n" + b"y" * 9000
    _, t = r.cmd("b", b"APPEND INBOX {%d+}\r\n" % len(big) + big)
    assert t.startswith(b"b NO [OVERQUOTA]"), t
    r.close()
