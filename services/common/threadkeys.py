"""Threading keys of a message (RFC 5256 section 2.1 base subject; RFC 5322 msg-ids), computed
once at ingest by services.common.mime and stored in the MessageSummary. The metadata service
threads messages with them (docs/decisions/0008-object-ids.md).
"""

from __future__ import annotations

import re

MAX_REFERENCES = 50  # the most recent msg-ids kept (References, then In-Reply-To)
MAX_MSGID = 998  # characters of one msg-id (an RFC 5322 line)
MAX_SUBJECT = 998  # characters of a base subject

_MSGID = re.compile(r"<([^<>\s]+)>")
_TRAILER = re.compile(r"(?:\s*\(fwd\))+\s*$", re.IGNORECASE)
_BLOB = r"\[[^\[\]]*\]"
# subj-leader: *subj-blob subj-refwd, where subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
_LEADER = re.compile(rf"^(?:{_BLOB}\s*)*(?:re|fwd?)\s*(?:{_BLOB})?\s*:\s*", re.IGNORECASE)
_LEADING_BLOB = re.compile(rf"^{_BLOB}\s*")
_FWD_WRAP = re.compile(r"^\[fwd:(.*)\]$", re.IGNORECASE | re.DOTALL)


def base_subject(subject: str) -> str:
    """The RFC 5256 base subject, case folded: "Re: [list] Fwd: Hello (fwd)" -> "hello"."""
    return subject_key(subject)[0]


def subject_key(subject: str) -> tuple[str, bool]:
    """The base subject and whether the subject was a reply or forward (a subj-refwd, a "(fwd)"
    trailer or a "[fwd: ...]" wrapper was removed: RFC 5256 REFERENCES step 5)."""
    s = " ".join(subject.split())[: MAX_SUBJECT * 4]
    refwd = False
    while True:
        before = s
        t = _TRAILER.sub("", s).strip()
        refwd = refwd or t != s.strip()
        s = t
        while True:
            m = _LEADER.match(s)
            if m is not None:
                s = s[m.end() :]
                refwd = True
                continue
            b = _LEADING_BLOB.match(s)
            if b is not None and b.end() < len(s):  # a blob is removed only when text remains
                s = s[b.end() :]
                continue
            break
        w = _FWD_WRAP.match(s)
        if w is not None:
            s = w.group(1).strip()
            refwd = True
        if s == before:
            break
    return s.casefold()[:MAX_SUBJECT], refwd


def msg_ids(value: str) -> list[str]:
    """The msg-ids of a References / In-Reply-To value, without angle brackets, in order."""
    return [m[:MAX_MSGID] for m in _MSGID.findall(value)]


def message_id(value: str) -> str:
    """The Message-ID of a Message-ID value ("" when it has none)."""
    ids = msg_ids(value)
    if ids:
        return ids[0]
    v = value.strip()
    return v[:MAX_MSGID] if v and not any(c.isspace() for c in v) else ""


def references(refs: str, in_reply_to: str) -> list[str]:
    """The msg-ids a message refers to, oldest first, the most recent MAX_REFERENCES, unique:
    References, then In-Reply-To's msg-ids not already in it."""
    out: list[str] = []
    seen: set[str] = set()
    for m in msg_ids(refs) + msg_ids(in_reply_to):
        if m not in seen:
            seen.add(m)
            out.append(m)
    return out[-MAX_REFERENCES:]
