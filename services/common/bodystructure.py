"""ENVELOPE, BODY and BODYSTRUCTURE from a MessageSummary (never reads the blob): rendered once at
ingest (prerender, stored in the summary) and served from there by FETCH, or rendered on demand."""

from __future__ import annotations

from services.common import imapstrings as wire
from services.gen.kubemail.v1 import mime_pb2 as mime_pb


def _ns(msg: mime_pb.Envelope | mime_pb.Address | mime_pb.BodyPart, name: str) -> bytes:
    if not msg.HasField(name):  # type: ignore[arg-type]
        return wire.NIL
    value: mime_pb.NString = getattr(msg, name)
    return wire.string(value.value)


def _addresses(addrs: list[mime_pb.Address]) -> bytes:
    if not addrs:
        return wire.NIL
    # RFC 3501 9: env-to = "(" 1*address ")": addresses follow each other without a space
    return (
        b"("
        + b"".join(wire.plist([_ns(a, "name"), _ns(a, "adl"), _ns(a, "mailbox"), _ns(a, "host")]) for a in addrs)
        + b")"
    )


def envelope(env: mime_pb.Envelope) -> bytes:
    return wire.plist(
        [
            _ns(env, "date"),
            _ns(env, "subject"),
            _addresses(list(env.__getattribute__("from"))),
            _addresses(list(env.sender)),
            _addresses(list(env.reply_to)),
            _addresses(list(env.to)),
            _addresses(list(env.cc)),
            _addresses(list(env.bcc)),
            _ns(env, "in_reply_to"),
            _ns(env, "message_id"),
        ]
    )


_MAX_SEGMENTS = 100


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _pct(value: bytes) -> bytes:
    return b"".join(bytes([b]) if b in _UNRESERVED else b"%%%02X" % b for b in value)


def merge_rfc2231(params: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Joins RFC 2231 continuations (name*0, name*1*, ...) into one parameter, as Dovecot
    does: `name` when no segment is encoded, else `name*` with the value still encoded."""
    out: list[tuple[str, bytes]] = []
    groups: dict[str, tuple[int, str, dict[int, tuple[bool, bytes]]]] = {}
    for name, value in params:
        base, _, rest = name.partition("*")
        num, _, tail = rest.partition("*")
        if base and num.isdigit() and len(num) <= 2 and tail == "" and (num == "0" or num[0] != "0"):
            key = base.lower()
            if key not in groups:
                groups[key] = (len(out), base, {})
                out.append((name, value))  # kept verbatim unless a *0 segment shows up
            groups[key][2].setdefault(int(num), (name.endswith("*"), value))
            continue
        out.append((name, value))
    for idx, base, segs in groups.values():
        seq: list[tuple[bool, bytes]] = []
        while len(seq) in segs and len(seq) < _MAX_SEGMENTS:
            seq.append(segs[len(seq)])
        encoded = any(e for e, _ in seq)
        if not seq:
            continue
        if not encoded:
            out[idx] = (base, b"".join(v for _, v in seq))
            continue
        parts = [v if e else _pct(v) for e, v in seq]
        if seq and not seq[0][0]:
            parts.insert(0, b"''")
        out[idx] = (base + "*", b"".join(parts))
    return out


def _params(params: list[mime_pb.Param]) -> bytes:
    if not params:
        return wire.NIL
    out: list[bytes] = []
    for name, value in merge_rfc2231([(p.name, p.value) for p in params]):
        out.append(wire.string(name))
        out.append(wire.string(value))
    return wire.plist(out)


def _disposition(part: mime_pb.BodyPart) -> bytes:
    if not part.HasField("disposition") or not part.disposition.type:
        return wire.NIL
    return wire.plist([wire.string(part.disposition.type), _params(list(part.disposition.params))])


def _language(part: mime_pb.BodyPart) -> bytes:
    if not part.language:
        return wire.NIL
    if len(part.language) == 1:
        return wire.string(part.language[0])
    return wire.plist(wire.string(lang) for lang in part.language)


def _is_message(part: mime_pb.BodyPart) -> bool:
    return part.type == "message" and part.subtype in ("rfc822", "global") and len(part.parts) == 1


def body(part: mime_pb.BodyPart, extended: bool) -> bytes:
    """BODY (extended=False) or BODYSTRUCTURE (extended=True) of one part, recursively."""
    if part.type == "multipart" and part.parts:
        items = [b"".join(body(p, extended) for p in part.parts), wire.string(part.subtype or "mixed")]
        if extended:
            items += [_params(list(part.params)), _disposition(part), _language(part), _ns(part, "location")]
        return b"(" + items[0] + b" " + b" ".join(items[1:]) + b")"
    params = list(part.params)
    if (part.type or "text").lower() == "text" and not any(p.name.lower() == "charset" for p in params):
        # RFC 2046 4.1.2: text without a charset is US-ASCII; say so, as peers do (#13 item 8)
        params.insert(0, mime_pb.Param(name="charset", value=b"us-ascii"))
    items = [
        wire.string(part.type or "text"),
        wire.string(part.subtype or "plain"),
        _params(params),
        _ns(part, "id"),
        _ns(part, "description"),
        wire.string(part.encoding or "7BIT"),
        str(part.size).encode(),
    ]
    if _is_message(part):
        child = part.parts[0]
        items += [envelope(part.envelope), body(child, extended), str(part.lines).encode()]
    elif part.type == "text":
        items.append(str(part.lines).encode())
    if extended:
        items += [_ns(part, "md5"), _disposition(part), _language(part), _ns(part, "location")]
    return wire.plist(items)


# The version of the renderings above that ingest stores in a summary (imap_envelope,
# imap_bodystructure). Raise it whenever envelope() or body() would write other bytes for the same
# summary: the IMAP server then renders messages stored before from their structure again.
RENDER_VERSION = 1
# Renderings longer than this together are not stored (a deep MIME tree or a long header would
# grow the summary, and Redis, a lot): FETCH renders them from the structure.
MAX_PRERENDERED = 16 * 1024


def prerender(summary: mime_pb.MessageSummary) -> None:
    """Stores the ENVELOPE and BODYSTRUCTURE renderings in `summary` (at ingest, once)."""
    env, structure = envelope(summary.envelope), body(summary.body, True)
    if len(env) + len(structure) <= MAX_PRERENDERED:
        summary.imap_envelope, summary.imap_bodystructure, summary.imap_render = env, structure, RENDER_VERSION


def drop_renderings(summary: mime_pb.MessageSummary) -> None:
    """Removes what prerender stored: the summary is then as one stored before renderings."""
    for name in ("imap_envelope", "imap_bodystructure", "imap_render"):
        summary.ClearField(name)


def stored_envelope(summary: mime_pb.MessageSummary) -> bytes:
    """FETCH ENVELOPE: the rendering stored at ingest when this version made it, else a new one."""
    if summary.imap_render == RENDER_VERSION and summary.imap_envelope:
        return summary.imap_envelope
    return envelope(summary.envelope)


def stored_bodystructure(summary: mime_pb.MessageSummary) -> bytes:
    """FETCH BODYSTRUCTURE, as stored_envelope."""
    if summary.imap_render == RENDER_VERSION and summary.imap_bodystructure:
        return summary.imap_bodystructure
    return body(summary.body, True)
