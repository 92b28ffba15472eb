"""MAIL and RCPT commands: the path and its ESMTP parameters, parsed (sans-I/O).

RFC 5321 4.1.2 (esmtp-param), RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 4954 AUTH=,
RFC 3461 DSN (RET, ENVID, NOTIFY, ORCPT, and xtext, section 4). Keywords are case-insensitive
and may appear once; values keep their case (ENVID and ORCPT are data). Every refusal raises
:class:`ParamError` carrying its reply (RFC 3463 enhanced codes): 501 5.1.7 / 5.1.3 for a path
that does not parse, 501 5.5.2 for a command without its path, 501 5.5.4 for a bad or
repeated parameter, 555 5.5.4 for an unknown one, 552 5.3.4 for a SIZE over the limit.
"""

from __future__ import annotations

import dataclasses
import re

from services.smtp import paths

MAX_ENVID = 100  # RFC 3461 4.4
MAX_ORCPT = 500  # RFC 3461 4.2
NOTIFY_WORDS = ("SUCCESS", "FAILURE", "DELAY")
MAIL_SYNTAX = "Syntax: MAIL FROM:<address> [SP <mail-parameters>]"
RCPT_SYNTAX = "Syntax: RCPT TO:<address> [SP <rcpt-parameters>]"

_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
# esmtp-value: %d33-60 / %d62-126, and UTF8-non-ascii (RFC 6531 3.3) without the lone
# surrogates that stand for bytes that were not UTF-8
_VALUE = re.compile("[\x21-\x3c\x3e-\x7e\u0080-\ud7ff\ue000-\U0010ffff]+")
_XTEXT = re.compile(r"(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-Fa-f]{2})*")
_HEXCHAR = re.compile(r"\+([0-9A-Fa-f]{2})")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")  # RFC 5322 atext, for ORCPT's addr-type


class ParamError(ValueError):
    """A MAIL/RCPT argument refused; `reply` is the SMTP answer."""

    def __init__(self, code: int, enhanced: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.enhanced = enhanced
        self.text = text

    @property
    def reply(self) -> str:
        return f"{self.code} {self.enhanced} {self.text}"


def _bad(text: str) -> ParamError:
    return ParamError(501, "5.5.4", text)


@dataclasses.dataclass(frozen=True)
class MailParams:
    size: int | None = None
    body: str = "7BIT"
    smtputf8: bool = False
    ret: str = ""  # "", "FULL" or "HDRS"
    envid: str = ""  # decoded from xtext


@dataclasses.dataclass(frozen=True)
class RcptParams:
    notify: tuple[str, ...] = ()  # upper case: ("NEVER",) or some of NOTIFY_WORDS, in the given order
    orcpt: str = ""  # "<addr-type>;<xtext>" as given (the xtext still encoded, as it is relayed)


def xtext_decode(value: str) -> str:
    """RFC 3461 4: xtext to text; raises ValueError for what is not xtext. Lower-case hex is
    accepted (senders use it although the RFC says upper case)."""
    if not _XTEXT.fullmatch(value):
        raise ValueError("not xtext")
    return _HEXCHAR.sub(lambda m: chr(int(m.group(1), 16)), value)


def xtext_encode(value: str) -> str:
    """Text to xtext: '+', '=' and every character outside '!'..'~' as '+XX' (of its UTF-8 bytes)."""
    out: list[str] = []
    for ch in value:
        if "!" <= ch <= "~" and ch not in "+=":
            out.append(ch)
        else:
            out.extend(f"+{b:02X}" for b in ch.encode("utf-8", "surrogateescape"))
    return "".join(out)


def split_params(text: str) -> dict[str, str | None]:
    """Keyword (upper case) -> value (None for a bare keyword), in order; a malformed or repeated
    parameter is a 501 5.5.4."""
    out: dict[str, str | None] = {}
    for word in text.split(" "):
        if not word:
            continue
        key, eq, value = word.partition("=")
        if not _KEYWORD.fullmatch(key) or (eq and not _VALUE.fullmatch(value)):
            raise _bad("Bad parameter syntax")
        key = key.upper()
        if key in out:
            raise _bad(f"Duplicate parameter {key}")
        out[key] = value if eq else None
    return out


def _flag(name: str, value: str | None) -> bool:
    if value is not None:
        raise _bad(f"{name} takes no value")
    return True


def _valued(name: str, value: str | None) -> str:
    if value is None:
        raise _bad(f"{name} needs a value")
    return value


def _printable_xtext(name: str, value: str, limit: int) -> str:
    try:
        decoded = xtext_decode(value)
    except ValueError:
        raise _bad(f"{name} is not xtext (RFC 3461 4)") from None
    if len(value) > limit or any(not " " <= c <= "~" for c in decoded):
        raise _bad(f"{name} is at most {limit} characters of printable ASCII")
    return decoded


def mail_params(text: str, size_limit: int) -> MailParams:
    """The parameters after ``MAIL FROM:<path>``; `size_limit` 0 = no SIZE limit."""
    ps = split_params(text)
    p = MailParams()
    for key, value in ps.items():
        if key == "SIZE":
            size = _valued(key, value)
            if not size.isascii() or not size.isdigit() or len(size) > 20:
                raise _bad("SIZE is a number of octets")
            if size_limit and int(size) > size_limit:
                raise ParamError(552, "5.3.4", "Message size exceeds fixed maximum message size")
            p = dataclasses.replace(p, size=int(size))
        elif key == "BODY":
            body = _valued(key, value).upper()
            if body not in ("7BIT", "8BITMIME"):
                raise _bad("BODY can only be one of 7BIT, 8BITMIME")
            p = dataclasses.replace(p, body=body)
        elif key == "SMTPUTF8":
            p = dataclasses.replace(p, smtputf8=_flag(key, value))
        elif key == "RET":
            ret = _valued(key, value).upper()
            if ret not in ("FULL", "HDRS"):
                raise _bad("RET is FULL or HDRS")
            p = dataclasses.replace(p, ret=ret)
        elif key == "ENVID":
            p = dataclasses.replace(p, envid=_printable_xtext(key, _valued(key, value), MAX_ENVID))
        elif key == "AUTH":  # RFC 4954 5: checked, then not trusted (as if AUTH=<>)
            _printable_xtext(key, _valued(key, value), 500)
        else:
            raise ParamError(555, "5.5.4", "MAIL FROM parameters not recognized or not implemented")
    return p


def _notify(value: str) -> tuple[str, ...]:
    words = value.upper().split(",")
    if words == ["NEVER"]:
        return ("NEVER",)
    if any(w not in NOTIFY_WORDS for w in words):
        raise _bad("NOTIFY is NEVER or a list of SUCCESS, FAILURE, DELAY")
    return tuple(dict.fromkeys(words))


def _orcpt(value: str) -> str:
    addr_type, sep, xtext = value.partition(";")
    if not sep or not _ATOM.fullmatch(addr_type) or not xtext or len(value) > MAX_ORCPT:
        raise _bad(f"ORCPT is <addr-type>;<xtext>, at most {MAX_ORCPT} characters")
    try:
        xtext_decode(xtext)
    except ValueError:
        raise _bad("ORCPT is not xtext (RFC 3461 4)") from None
    return value


def rcpt_params(text: str) -> RcptParams:
    """The parameters after ``RCPT TO:<path>``."""
    p = RcptParams()
    for key, value in split_params(text).items():
        if key == "NOTIFY":
            p = dataclasses.replace(p, notify=_notify(_valued(key, value)))
        elif key == "ORCPT":
            p = dataclasses.replace(p, orcpt=_orcpt(_valued(key, value)))
        else:
            raise ParamError(555, "5.5.4", "RCPT TO parameters not recognized or not implemented")
    return p


def _argument(keyword: str, arg: str | None, syntax: str) -> str:
    if arg is None or arg[: len(keyword)].upper() != keyword:
        raise ParamError(501, "5.5.2", syntax)
    rest = arg[len(keyword) :].strip(" ")
    if not rest:
        raise ParamError(501, "5.5.2", syntax)
    return rest


def _path(rest: str, enhanced: str, what: str) -> tuple[str, str]:
    try:
        return paths.parse_path(rest)
    except paths.ArgumentSyntaxError:
        raise ParamError(501, enhanced, f"Bad {what} address syntax") from None


def mail_command(arg: str | None, extended: bool, size_limit: int) -> tuple[str, MailParams]:
    """(reverse-path, parameters) of ``MAIL`` with argument `arg`; the null path is ``<>``."""
    address, text = _path(_argument("FROM:", arg, MAIL_SYNTAX), "5.1.7", "sender")
    if address == paths.POSTMASTER:  # a domain-less path is for RCPT only
        raise ParamError(501, "5.1.7", "Bad sender address syntax")
    if text and not extended:
        raise _bad("Parameters need EHLO")
    return address, mail_params(text, size_limit)


def rcpt_command(arg: str | None, extended: bool) -> tuple[str, RcptParams]:
    """(forward-path, parameters) of ``RCPT`` with argument `arg`; ``<Postmaster>`` is
    :data:`services.smtp.paths.POSTMASTER`."""
    address, text = _path(_argument("TO:", arg, RCPT_SYNTAX), "5.1.3", "recipient")
    if address == "<>":
        raise ParamError(501, "5.1.3", "Bad recipient address syntax")
    if text and not extended:
        raise _bad("Parameters need EHLO")
    return address, rcpt_params(text)
