"""Sans-I/O POP3 output: replies as bytes (RFC 1939 status lines, RFC 2449 response codes)."""

from __future__ import annotations

from collections.abc import Iterable

# RFC 2449 / RFC 3206 response codes.
IN_USE = "IN-USE"
LOGIN_DELAY = "LOGIN-DELAY"
SYS_TEMP = "SYS/TEMP"
SYS_PERM = "SYS/PERM"
AUTH = "AUTH"

IMPLEMENTATION = "kubemail"


def _clean(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def ok(text: str = "", code: str | None = None) -> bytes:
    body = f"[{code}] {text}" if code else text
    return f"+OK {_clean(body)}".rstrip().encode("utf-8") + b"\r\n"


def err(text: str, code: str | None = None) -> bytes:
    body = f"[{code}] {text}" if code else text
    return f"-ERR {_clean(body)}".rstrip().encode("utf-8") + b"\r\n"


def continuation(challenge: bytes = b"") -> bytes:
    """A SASL challenge line (RFC 5034): '+ ' and base64."""
    import base64

    return b"+ " + base64.b64encode(challenge) + b"\r\n"


def multiline(first: bytes, lines: Iterable[str | bytes]) -> bytes:
    """A status line, then dot-stuffed lines and the terminating '.'."""
    out = [first]
    for line in lines:
        b = line.encode("utf-8") if isinstance(line, str) else line
        if b.startswith(b"."):
            b = b"." + b
        out.append(b + b"\r\n")
    out.append(b".\r\n")
    return b"".join(out)


def capabilities(*, tls_available: bool, auth_allowed: bool, in_transaction: bool) -> list[str]:
    """The CAPA list (RFC 2449): USER and SASL only when a login may be attempted here."""
    caps = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "LOGIN-DELAY 0"]
    if not in_transaction:
        if auth_allowed:
            caps += ["USER", "SASL PLAIN LOGIN"]
        if tls_available:
            caps.append("STLS")
    caps.append(f"IMPLEMENTATION {IMPLEMENTATION}")
    return caps


def scan_listing(msgno: int, size: int) -> str:
    return f"{msgno} {size}"


def uid_listing(msgno: int, uid: str) -> str:
    return f"{msgno} {uid}"
