"""THREAD and UID THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES over the search matches."""

from __future__ import annotations

from services.imap import threads
from services.imap.errors import Result
from services.imap.grammar import Command, ThreadArgs
from services.imap.matching import matching_uids, metas_of
from services.imap.session import Session
from services.imap.sorting import thread_input


async def thread(s: Session, cmd: Command) -> Result:
    a: ThreadArgs = cmd.args
    sel = s.sel
    assert sel is not None
    uids, _ = await matching_uids(s, a.key, a.charset)
    metas = await metas_of(s, uids, True) if uids else []
    inputs = [thread_input(m) for m in metas if sel.contains(m.uid)]
    if a.algorithm == "ORDEREDSUBJECT":
        roots = threads.ordered_subject(inputs)
    else:
        roots = threads.references(inputs)

    def number(uid: int) -> int:
        return uid if cmd.uid else sel.seq_of(uid) or 0

    s.untagged(("THREAD " + threads.render(roots, number)).rstrip())
    return Result(text="THREAD completed")
