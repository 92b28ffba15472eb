"""Trace headers added at ingest (sans-I/O): Return-Path and Received (RFC 5321 4.4)."""

from __future__ import annotations

import dataclasses
import email.utils
import re
from collections.abc import Callable

# printable ASCII and UTF-8; not controls, spaces, or the lone surrogates of undecodable bytes
_UNSAFE = re.compile("[^\x21-\x7e\u0080-\ud7ff\ue000-\U0010ffff]")


def _clean(text: str, limit: int = 255) -> str:
    """Client-supplied text made safe for a header: no controls, spaces or overlong values."""
    return _UNSAFE.sub("?", text)[:limit] or "unknown"


def protocol_name(esmtp: bool, tls: bool, auth: bool, utf8: bool) -> str:
    """The `with` keyword of RFC 3848 / RFC 6531: SMTP, ESMTP, ESMTPS, ESMTPSA, UTF8SMTPS, ..."""
    if not esmtp:
        return "SMTP"
    return ("UTF8SMTP" if utf8 else "ESMTP") + ("S" if tls else "") + ("A" if auth else "")


@dataclasses.dataclass(frozen=True)
class Trace:
    helo: str
    client_ip: str
    hostname: str
    queue_id: str
    protocol: str
    tls_version: str = ""
    tls_cipher: str = ""
    recipient: str = ""  # only named when there is exactly one
    timestamp: float | None = None


def received(t: Trace) -> bytes:
    ip = _clean(t.client_ip, 64)
    lines = [
        f"Received: from {_clean(t.helo)} ([{ip}])",
        f"\tby {_clean(t.hostname)} (kubemail) with {t.protocol} id {t.queue_id}",
    ]
    if t.tls_version:
        lines.append(f"\t(using {_clean(t.tls_version, 32)} with cipher {_clean(t.tls_cipher, 64)})")
    date = email.utils.formatdate(t.timestamp, localtime=False, usegmt=True)
    if t.recipient:
        lines.append(f"\tfor <{_clean(t.recipient, 320)}>; {date}")
    else:
        lines[-1] += ";"
        lines.append(f"\t{date}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def return_path(mail_from: str) -> bytes:
    sender = "" if mail_from in ("", "<>") else _clean(mail_from, 320)
    return f"Return-Path: <{sender}>\r\n".encode()


def trace_headers(mail_from: str, t: Trace) -> bytes:
    """The bytes prepended to every stored message."""
    return return_path(mail_from) + received(t)


def header_end(message: bytes) -> int:
    """Offset just after the last header line (where the empty line begins), or the end."""
    i = message.find(b"\r\n\r\n")
    if i >= 0:
        return i + 2
    i = message.find(b"\n\n")
    return i + 1 if i >= 0 else len(message)


def remove_fields(message: bytes, drop: Callable[[bytes, bytes], bool]) -> bytes:
    """`message` without the top-level header fields for which drop(lower-case name, first-line
    value) is true; continuation lines go with their field, the body is untouched."""
    end = header_end(message)
    out: list[bytes] = []
    dropping = False
    for line in message[:end].splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                out.append(line)
            continue
        name, colon, value = line.partition(b":")
        dropping = bool(colon) and drop(name.strip().lower(), value)
        if not dropping:
            out.append(line)
    return b"".join(out) + message[end:]


def replace_field(message: bytes, name: bytes, value: bytes) -> bytes:
    """`message` with the first `name` field's value replaced (or the field added on top)."""
    lower = name.lower()
    seen = False

    def first(n: bytes, _v: bytes) -> bool:
        nonlocal seen
        if n == lower and not seen:
            seen = True
            return True
        return False

    return name + b": " + value + b"\r\n" + remove_fields(message, first)
