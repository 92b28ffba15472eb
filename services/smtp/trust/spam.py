"""The scanner's verdict as header fields (sans-I/O): X-Spamd-Result, X-Rspamd-Action and, for
spam, X-Spam: Yes; the subject rewrite; incoming fields of those names are dropped first so a
sender cannot pre-answer the scan."""

from __future__ import annotations

from services.common import mime
from services.common.rspamd import Verdict
from services.smtp import headers

SCANNER_FIELDS = (b"x-spamd-result", b"x-rspamd-action", b"x-spam", b"x-spam-status")
SUBJECT_PREFIX = "*** SPAM *** "
MAX_SYMBOLS = 50


def strip_scanner_fields(message: bytes) -> bytes:
    return headers.remove_fields(message, lambda n, _v: n in SCANNER_FIELDS)


def _clean(text: str) -> str:
    return "".join(c if " " <= c <= "~" else "?" for c in text)[:200]


def verdict_fields(v: Verdict) -> bytes:
    symbols = "".join(f";\r\n\t{_clean(name)}({score:.2f})" for name, score in v.symbols[:MAX_SYMBOLS])
    lines = [
        f"X-Spamd-Result: default: {'True' if v.is_spam else 'False'} [{v.score:.2f} / {v.required:.2f}]{symbols}",
        f"X-Rspamd-Action: {v.action}",
    ]
    if v.is_spam:
        lines.append("X-Spam: Yes")
    return ("\r\n".join(lines) + "\r\n").encode()


def unscanned_field(reason: str) -> bytes:
    """Fail-open: the message was delivered without a verdict, and says so."""
    return f"X-Spamd-Result: unscanned ({_clean(reason)})\r\n".encode()


def rewrite_subject(message: bytes, verdict: Verdict) -> bytes:
    """Rspamd's rewritten subject (its `subject` field), else the old one with a prefix."""
    if verdict.subject:
        new = verdict.subject
    else:
        old = next((v for n, v in mime.header_fields(message) if n == "subject"), b"")
        new = SUBJECT_PREFIX + old.decode("utf-8", "replace").strip()
    return headers.replace_field(message, b"Subject", _clean(new).encode())
