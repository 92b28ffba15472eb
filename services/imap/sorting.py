"""Sort keys of messages (RFC 5256 section 3, RFC 5957 DISPLAY) and the threading inputs
(RFC 5256 section 2), from the parsed summary the metadata service returns (sans-I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.common.mime import decode_header_value
from services.common.threadkeys import msg_ids, subject_key
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb

# criteria answered without the summary (uid, size and dates of the message hash)
NO_SUMMARY = frozenset({"ARRIVAL", "SIZE"})


def sent_date(m: messages_pb.MessageMeta) -> int:
    """RFC 5256 2.2: the Date: header in UTC, or the internal date when it is missing or invalid."""
    return m.summary.sent_date or m.internal_date


def _header(m: messages_pb.MessageMeta, name: str) -> str | None:
    for h in m.summary.headers:
        if h.name == name:
            return h.value
    return None


def _subject(m: messages_pb.MessageMeta) -> str:
    value = _header(m, "subject")
    if value is None and m.summary.envelope.HasField("subject"):
        value = decode_header_value(m.summary.envelope.subject.value)
    return value or ""


def subject_of(m: messages_pb.MessageMeta) -> tuple[str, bool]:
    """The base subject (RFC 5256 2.1, case folded) and whether it was a reply or forward."""
    return subject_key(_subject(m))


def _text(ns: mime_pb.NString) -> str:
    return ns.value.decode("utf-8", "replace")


def _first_address(addrs: Sequence[mime_pb.Address]) -> mime_pb.Address | None:
    """The first mailbox of an address list (group markers, which have no host, skipped)."""
    for a in addrs:
        if a.HasField("host"):
            return a
    return None


def addr_mailbox(addrs: Sequence[mime_pb.Address]) -> str:
    """RFC 5256 FROM/TO/CC: the addr-mailbox of the first address, i;ascii-casemap."""
    a = _first_address(addrs)
    return _text(a.mailbox).lower() if a is not None and a.HasField("mailbox") else ""


def display(addrs: Sequence[mime_pb.Address]) -> str:
    """RFC 5957: the first address's decoded display-name, or its addr-spec when it has none
    (or an empty one), compared case-insensitively."""
    a = _first_address(addrs)
    if a is None:
        return ""
    if a.HasField("name"):
        name = " ".join(decode_header_value(a.name.value).split())
        if name:
            return name.casefold()
    return f"{_text(a.mailbox)}@{_text(a.host)}".casefold()


def sort_value(m: messages_pb.MessageMeta, key: str) -> int | str:
    env = m.summary.envelope
    if key == "ARRIVAL":
        return m.internal_date
    if key == "SIZE":
        return m.size
    if key == "DATE":
        return sent_date(m)
    if key == "SUBJECT":
        return subject_of(m)[0]
    if key == "FROM":
        return addr_mailbox(env.__getattribute__("from"))
    if key == "TO":
        return addr_mailbox(env.to)
    if key == "CC":
        return addr_mailbox(env.cc)
    if key == "DISPLAYFROM":
        return display(env.__getattribute__("from"))
    if key == "DISPLAYTO":
        return display(env.to)
    raise ValueError(key)


def sort_messages(
    metas: Sequence[messages_pb.MessageMeta], criteria: Sequence[tuple[str, bool]]
) -> list[messages_pb.MessageMeta]:
    """RFC 5256 SORT: by each criterion in turn (REVERSE applying to its own key only); exact
    ties keep the mailbox order (ascending UID, i.e. sequence order)."""
    out = sorted(metas, key=lambda m: m.uid)
    for key, reverse in reversed(criteria):  # stable passes, the last criterion first
        out.sort(key=lambda m, k=key: sort_value(m, k), reverse=reverse)  # type: ignore[misc]
    return out


@dataclass
class ThreadInput:
    """What threading needs of one message."""

    uid: int
    date: int  # sent date (RFC 5256 2.2)
    subject: str  # base subject
    refwd: bool  # the subject was a reply or forward
    message_id: str  # "" when missing or invalid
    references: list[str]  # RFC 5256 REFERENCES step 1: References, else In-Reply-To's first


def thread_input(m: messages_pb.MessageMeta) -> ThreadInput:
    subject, refwd = subject_of(m)
    refs = msg_ids(_header(m, "references") or "")
    if not refs:
        irt = msg_ids(_header(m, "in-reply-to") or "")
        refs = irt[:1]
    mid = m.summary.message_id
    if not mid:
        ids = msg_ids(_header(m, "message-id") or "")
        mid = ids[0] if ids else ""
    return ThreadInput(m.uid, sent_date(m), subject, refwd, mid, refs)
