"""MAIL/RCPT paths and the EHLO/HELO argument, parsed (sans-I/O; RFC 5321 4.1.2, RFC 6531 3.3).

aiosmtpd hands over each argument decoded as UTF-8 with ``surrogateescape``, so bytes that
are not UTF-8 arrive as lone surrogates; they are a syntax error here, as are control
characters, before anything else sees them (replies, logs, trace headers, gRPC).
Every malformed input raises :class:`ArgumentSyntaxError` and nothing else.

What is judged here is the shape of a path; whether the mailbox is acceptable (routing
characters, literal domains, label syntax, lengths) is addresses.check's business.
"""

from __future__ import annotations

import re

MAX_HELO = 255

# RFC 6531 UTF8-non-ascii: any non-ASCII character except the lone surrogates that stand for
# bytes that were not UTF-8
_UTF8 = "\u0080-\ud7ff\ue000-\U0010ffff"
# RFC 5321 atext
_ATOM = rf"[A-Za-z0-9!#$%&'*+\-/=?^_`{{|}}~{_UTF8}]+"
# RFC 5321 qtextSMTP / quoted-pairSMTP
_QUOTED = rf'"(?:[\x20\x21\x23-\x5b\x5d-\x7e{_UTF8}]|\\[\x20-\x7e])*"'
_LABEL = rf"[A-Za-z0-9\-{_UTF8}]+"  # label syntax proper is checked by addresses
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*"
_LITERAL = r"\[[\x21-\x5a\x5e-\x7e]+\]"
_MAILBOX = rf"(?:{_ATOM}(?:\.{_ATOM})*|{_QUOTED})@(?:{_DOMAIN}|{_LITERAL})"
_ROUTE = rf"@{_DOMAIN}(?:,@{_DOMAIN})*:"

_ANGLE = re.compile(rf"<(?:{_ROUTE})?({_MAILBOX})>|<>")
_BARE = re.compile(_MAILBOX)
_POSTMASTER = re.compile(r"<postmaster>", re.IGNORECASE)  # RFC 5321 4.1.1.3: a path without a domain
POSTMASTER = "postmaster"
_HELO = re.compile(rf"[\x21-\x7e{_UTF8}]+")


class ArgumentSyntaxError(ValueError):
    """A MAIL/RCPT path or an EHLO/HELO argument that does not parse."""


def parse_path(arg: str) -> tuple[str, str]:
    """(mailbox, parameters) of a path with what follows it, as after ``MAIL FROM:``.

    The null path is returned as ``<>``, ``<Postmaster>`` (any case) as :data:`POSTMASTER`; a
    source route is dropped (RFC 5321 4.1.1.3 says to ignore it); a mailbox without angle
    brackets is tolerated, as aiosmtpd does.
    """
    arg = arg.lstrip(" ")
    pm = _POSTMASTER.match(arg)
    if pm is not None:
        arg = "<" + POSTMASTER + "@p.invalid>" + arg[pm.end() :]  # the same checks of what follows
    m = _ANGLE.match(arg) if arg.startswith("<") else _BARE.match(arg)
    if m is None:
        raise ArgumentSyntaxError("malformed path")
    rest = arg[m.end() :]
    if rest and not rest.startswith(" "):
        raise ArgumentSyntaxError("no space between the path and its parameters")
    address = (m.group(1) or "<>") if arg.startswith("<") else m.group(0)
    return (POSTMASTER if pm is not None else address), rest.strip(" ")


def parse_helo(arg: str | None) -> str:
    """The client's name from EHLO/HELO: one word of printable UTF-8 (a domain or address literal).

    Deliberately looser than RFC 5321's Domain (real clients send ``my_host`` or bare names);
    only what cannot be a name at all, or cannot be written into a trace header, is refused.
    """
    if not arg or len(arg) > MAX_HELO or not _HELO.fullmatch(arg):
        raise ArgumentSyntaxError("EHLO/HELO needs one printable UTF-8 word")
    return arg
