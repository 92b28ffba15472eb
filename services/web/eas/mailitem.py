"""One message as an EAS Email item ([MS-ASEMAIL], [MS-ASAIRS]), pure: the ApplicationData of a
Sync Add or an ItemOperations Fetch from the stored bytes and the message's metadata, the body
in the type the device prefers (1 plain text, 2 HTML, 4 MIME) cut to its TruncationSize, and
the attachments with their FileReferences. The MIME structure is read with the stdlib `email`
package (policy.default).

ServerIds are `<mailbox id>:<uid>` (decision 0016): stable for the message's life in the
mailbox, and enough to find it again from any pod with no lookup table. A FileReference is
`<mailbox id>:<uid>:<n>`, n counting the attachments in `iter_attachments` order."""

from __future__ import annotations

import dataclasses
import email.message
import email.policy
import email.utils
import time
from email.parser import BytesParser

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.web.wbxml.codec import Element, el

E, B, S = "Email", "AirSyncBase", "AirSync"
PLAIN, HTML, RTF, MIME = 1, 2, 3, 4
SEEN, FLAGGED = "\\Seen", "\\Flagged"
_PARSER = BytesParser(policy=email.policy.default)


@dataclasses.dataclass(frozen=True)
class BodyPreference:
    type: int = PLAIN
    truncation: int | None = None  # octets; None = whole body
    all_or_none: bool = False


def server_id(mailbox_id: str, uid: int) -> str:
    return f"{mailbox_id}:{uid}"


def parse_server_id(value: str, mailbox_id: str | None = None) -> tuple[str, int] | None:
    """(mailbox id, uid) of a ServerId, or None when it is not one of ours (or not in `mailbox_id`)."""
    mbid, sep, uid = value.rpartition(":")
    if not sep or not mbid or not uid.isdigit() or len(uid) > 10 or not 0 < int(uid) < 2**32:
        return None
    if mailbox_id is not None and mbid != mailbox_id:
        return None
    return mbid, int(uid)


def parse_file_reference(value: str) -> tuple[str, int, int] | None:
    head, sep, n = value.rpartition(":")
    parsed = parse_server_id(head) if sep and n.isdigit() and len(n) <= 4 else None
    return (parsed[0], parsed[1], int(n)) if parsed else None


def preferences(options: Element | None) -> list[BodyPreference]:
    """BodyPreference elements of a Sync/ItemOperations Options element, in the device's order."""
    out: list[BodyPreference] = []
    for p in options.findall(B, "BodyPreference") if options is not None else []:
        t, size = p.find(B, "Type"), p.find(B, "TruncationSize")
        kind = int(t.value()) if t is not None and t.value().isdigit() else PLAIN
        trunc = int(size.value()) if size is not None and size.value().isdigit() else None
        aon = p.find(B, "AllOrNone")
        out.append(BodyPreference(kind, trunc, aon is not None and aon.value() == "1"))
    return out


def parse(raw: bytes) -> email.message.EmailMessage:
    msg = _PARSER.parsebytes(raw)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def _text(msg: email.message.EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else None


def attachments(msg: email.message.EmailMessage) -> list[email.message.EmailMessage]:
    try:
        return [p for p in msg.iter_attachments() if isinstance(p, email.message.EmailMessage)]
    except (TypeError, KeyError):  # not multipart / malformed structure
        return []


def attachment_bytes(part: email.message.EmailMessage) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], email.message.Message):
            return bytes(inner[0].as_bytes())
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def clean(value: str) -> str:
    """Text that WBXML can carry: undecodable octets (the parser's surrogate escapes) become
    U+FFFD, NUL characters are dropped."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")


def _header(msg: email.message.EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
        return clean(str(value)) if value is not None else ""
    except (IndexError, ValueError, TypeError, LookupError):  # a header email's parser cannot make sense of
        return ""


def _date(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def _truncate(data: bytes, limit: int | None, text: bool) -> tuple[bytes, bool]:
    """`data` cut to `limit` octets (text: at a character boundary)."""
    if limit is None or len(data) <= limit:
        return data, False
    return (data[:limit].decode("utf-8", "ignore").encode("utf-8") if text else data[:limit]), True


def body(raw: bytes, msg: email.message.EmailMessage, prefs: list[BodyPreference]) -> tuple[Element, int]:
    """The AirSyncBase Body for the first preference the message can satisfy, and the native type."""
    html, plain = _text(msg, "html"), _text(msg, "plain")
    native = HTML if html is not None and plain is None else PLAIN
    for pref in prefs or [BodyPreference()]:
        if pref.type == MIME:
            data = raw
        elif pref.type == HTML:
            data = clean(html if html is not None else (plain or "")).encode("utf-8")
        elif pref.type == PLAIN:
            data = clean(plain if plain is not None else (html or "")).encode("utf-8")
        else:
            continue
        cut, truncated = _truncate(data, pref.truncation, pref.type != MIME)
        if truncated and pref.all_or_none:
            cut = b""
        value: bytes | str = cut if pref.type == MIME else cut.decode("utf-8").replace("\x00", "")
        parts: list[Element] = [el(B, "Type", pref.type), el(B, "EstimatedDataSize", len(data))]
        parts.append(el(B, "Truncated", 1 if truncated else 0))
        if value:
            parts.append(el(B, "Data", value))
        return el(B, "Body", *parts), native
    return el(B, "Body", el(B, "Type", PLAIN), el(B, "EstimatedDataSize", 0)), native


def flag_elements(flags: list[str] | tuple[str, ...]) -> list[Element]:
    read = el(E, "Read", 1 if SEEN in flags else 0)
    if FLAGGED in flags:
        return [read, el(E, "Flag", el(E, "FlagStatus", 2), el(E, "FlagType", "Flag for follow up"))]
    return [read, Element(E, "Flag")]


def application_data(
    mailbox_id: str, meta: messages_pb.MessageMeta, raw: bytes, prefs: list[BodyPreference]
) -> Element:
    msg = parse(raw)
    to, cc = _header(msg, "To"), _header(msg, "Cc")
    names = [n or a for n, a in email.utils.getaddresses([to])] if to else []
    fields = [
        el(E, "To", to),
        *([el(E, "Cc", cc)] if cc else []),
        el(E, "From", _header(msg, "From")),
        el(E, "Subject", _header(msg, "Subject")),
        *([el(E, "ReplyTo", rt)] if (rt := _header(msg, "Reply-To")) else []),
        el(E, "DateReceived", _date(meta.internal_date or int(time.time()))),
        el(E, "DisplayTo", "; ".join(names)),
        el(E, "ThreadTopic", _header(msg, "Subject")),
        el(E, "Importance", 1),
        *flag_elements(list(meta.flags)),
    ]
    body_el, native = body(raw, msg, prefs)
    atts = []
    for n, part in enumerate(attachments(msg)):
        try:
            name = clean(part.get_filename() or "") or f"attachment-{n + 1}"
        except (ValueError, TypeError, LookupError):
            name = f"attachment-{n + 1}"
        cid = _header(part, "Content-ID").strip("<>")
        att = [
            el(B, "DisplayName", name),
            el(B, "FileReference", f"{server_id(mailbox_id, meta.uid)}:{n}"),
            el(B, "Method", 1),
            el(B, "EstimatedDataSize", len(attachment_bytes(part))),
        ]
        if cid:
            att.append(el(B, "ContentId", cid))
        if part.get_content_disposition() == "inline":
            att.append(el(B, "IsInline", 1))
        atts.append(el(B, "Attachment", *att))
    tail = [
        el(E, "MessageClass", "IPM.Note"),
        el(E, "InternetCPID", 65001),
        el(E, "ContentClass", "urn:content-classes:message"),
        el(B, "NativeBodyType", native),
    ]
    return el(S, "ApplicationData", *fields, body_el, *([el(B, "Attachments", *atts)] if atts else []), *tail)
