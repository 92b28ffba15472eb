"""Envelope address checks (sans-I/O): syntax, relay tricks, normalisation.

aiosmtpd has already parsed the path (and dropped any source route, which RFC 5321
4.1.1.3 says to ignore); what remains is judged here. Local parts that could route mail
elsewhere (``a%b@local``, ``a!b@local``, quoted ``"a@b"@local``) and address-literal
domains are refused outright: no open relay through a sloppy downstream hop.
"""

from __future__ import annotations

import dataclasses
import enum
import re

MAX_LOCAL = 64
MAX_DOMAIN = 255
MAX_PATH = 254

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Printable ASCII atext plus '.', or any non-ASCII (SMTPUTF8); no routing characters.
_LOCAL_BAD = set('@%!"\\ (),:;<>[]')


class Verdict(enum.Enum):
    OK = "ok"
    SYNTAX = "syntax"  # malformed: 553 5.1.3
    RELAY_TRICK = "relay-trick"  # routing characters / literal domains: 550 5.7.1


@dataclasses.dataclass(frozen=True)
class Checked:
    verdict: Verdict
    address: str = ""  # local@domain with the domain in lower-case IDNA (ASCII)
    local: str = ""
    domain: str = ""
    needs_utf8: bool = False  # non-ASCII local part or U-label domain


def ascii_domain(domain: str) -> str | None:
    """Lower-case A-label form of a domain, or None if it is not a host name."""
    d = domain.rstrip(".").lower()
    if not d or len(d) > MAX_DOMAIN:
        return None
    try:
        d = d.encode("idna").decode("ascii") if not d.isascii() else d
    except UnicodeError:
        return None
    labels = d.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return d


def _bad_char(c: str) -> bool:
    """A control character, or a lone surrogate (a byte that was not UTF-8, surrogateescaped)."""
    n = ord(c)
    return n < 32 or n == 127 or 0xD800 <= n <= 0xDFFF


def check(address: str) -> Checked:
    """Judges one envelope address (without angle brackets) as aiosmtpd parsed it."""
    if not address or len(address) > MAX_PATH * 4 or any(_bad_char(c) for c in address):
        return Checked(Verdict.SYNTAX)
    if address.count("@") != 1:
        return Checked(Verdict.RELAY_TRICK if address.count("@") > 1 else Verdict.SYNTAX)
    local, domain = address.split("@")
    if not local or not domain:
        return Checked(Verdict.SYNTAX)
    if domain.startswith("["):
        return Checked(Verdict.RELAY_TRICK)
    if any(c in _LOCAL_BAD for c in local):
        return Checked(Verdict.RELAY_TRICK)
    if local.startswith(".") or local.endswith(".") or ".." in local or len(local.encode()) > MAX_LOCAL:
        return Checked(Verdict.SYNTAX)
    dom = ascii_domain(domain)
    if dom is None:
        return Checked(Verdict.SYNTAX)
    full = f"{local}@{dom}"
    if len(full.encode()) > MAX_PATH:
        return Checked(Verdict.SYNTAX)
    return Checked(Verdict.OK, full, local, dom, needs_utf8=not address.isascii())


def same_mailbox(a: str, b: str) -> bool:
    """Address equality for sender checks: exact local part, case-insensitive domain."""
    la, _, da = a.rpartition("@")
    lb, _, db = b.rpartition("@")
    return la.lower() == lb.lower() and (ascii_domain(da) or da.lower()) == (ascii_domain(db) or db.lower())
