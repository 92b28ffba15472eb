"""Enhanced status codes (RFC 2034/3463) for the replies aiosmtpd composes itself (sans-I/O).

Our own replies already carry a code; aiosmtpd's fixed texts are rewritten here so every
reply a client sees is ``NNN X.Y.Z text``. Greeting (220), EHLO lines and 334/354
continuations are left alone, as RFC 2034 says.
"""

from __future__ import annotations

import re

_HAS_ENHANCED = re.compile(r"^[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}( |$)")
_CODE = re.compile(r"^([245]\d\d)([ -])(.*)$", re.S)

# aiosmtpd's exact texts (prefixes) -> our reply
_REWRITE: tuple[tuple[str, str], ...] = (
    ("500 Command line too long", "500 5.5.2 Line too long"),
    ("500 Line too long", "500 5.5.2 Line too long (see RFC 5321 4.5.3.1.6)"),
    ("552 Error: Too much mail data", "552 5.3.4 Message size exceeds fixed maximum message size"),
    ("552 Error: message size exceeds", "552 5.3.4 Message size exceeds fixed maximum message size"),
    ("503 Error: send HELO first", "503 5.5.1 Error: send HELO first"),
    ("503 Error: send EHLO first", "503 5.5.1 Error: send EHLO first"),
    ("503 Error: need MAIL command", "503 5.5.1 Error: need MAIL command"),
    ("503 Error: need RCPT command", "503 5.5.1 Error: need RCPT command"),
    ("503 Error: nested MAIL command", "503 5.5.1 Error: nested MAIL command"),
    ("503 Already authenticated", "503 5.5.1 Already authenticated"),
    ("500 Error: strict ASCII mode", "500 5.6.7 Non-ASCII data without SMTPUTF8"),
    ("501 Error: SMTPUTF8", "501 5.5.4 SMTPUTF8 takes no arguments"),
    ("530 Must issue a STARTTLS command first", "530 5.7.0 Must issue a STARTTLS command first"),
    ("221 Bye", "221 2.0.0 Bye"),
    ("250 OK", "250 2.0.0 OK"),
)

_DEFAULT = {
    "250": "2.0.0",
    "221": "2.0.0",
    "235": "2.7.0",
    "252": "2.5.0",
    "421": "4.3.0",
    "451": "4.3.0",
    "454": "4.7.0",
    "500": "5.5.2",
    "501": "5.5.4",
    "502": "5.5.1",
    "503": "5.5.1",
    "504": "5.5.4",
    "530": "5.7.0",
    "535": "5.7.8",
    "538": "5.7.11",
    "550": "5.0.0",
    "552": "5.3.4",
    "553": "5.1.3",
    "554": "5.0.0",
    "555": "5.5.4",
}


def enhance(status: str) -> str:
    """`status` with an enhanced status code where it lacks one."""
    if _HAS_ENHANCED.match(status):
        return status
    for prefix, new in _REWRITE:
        if status.startswith(prefix):
            return new
    m = _CODE.match(status)
    if not m:
        return status
    code, sep, text = m.groups()
    if code in ("220", "334", "354"):
        return status
    enh = _DEFAULT.get(code)
    if enh is None:
        return status
    return f"{code}{sep}{enh} {text}".rstrip()


def code_of(status: str | bytes) -> int | None:
    head = status[:3]
    s = head.decode("ascii", "replace") if isinstance(head, bytes) else head
    return int(s) if s.isdigit() else None
