"""The SMTP client's wire format, sans I/O (RFC 5321 4.2, RFC 2920, RFC 1869).

`ReplyReader` turns received bytes into complete replies, however the server's bytes are cut
into segments and however many replies one segment holds (a pipelined group's answers arrive
together); every reply is bounded in line length and line count. The formatters refuse CR and
LF inside a command argument (no command injection from an address) and dot-stuff message data.
"""

from __future__ import annotations

import dataclasses
import re

MAX_LINE = 2048  # RFC 5321 4.5.3.1.5: a reply line is at most 512 octets; peers send more
MAX_LINES = 200  # lines of one multi-line reply (an EHLO lists a few dozen)
_CODE = re.compile(rb"^([2-5][0-9][0-9])([ -]|$)")


class ProtocolError(Exception):
    """The server's bytes are not SMTP replies (or exceed the bounds)."""


@dataclasses.dataclass(frozen=True)
class Reply:
    code: int
    text: str  # the lines after the code, joined by "\n" (enhanced code included)

    @property
    def line(self) -> str:
        return f"{self.code} {self.text}".strip()

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


class ReplyReader:
    """Feed bytes; `replies()` returns the replies completed so far, oldest first."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._lines: list[str] = []
        self._code = b""
        self._done: list[Reply] = []

    def feed(self, data: bytes) -> None:
        self._buf += data
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > MAX_LINE:
                    raise ProtocolError("reply line too long")
                return
            raw = bytes(self._buf[:end]).rstrip(b"\r")
            del self._buf[: end + 1]
            if len(raw) > MAX_LINE:
                raise ProtocolError("reply line too long")
            self._line(raw)

    def _line(self, raw: bytes) -> None:
        m = _CODE.match(raw)
        if m is None or (self._code and m.group(1) != self._code):
            raise ProtocolError(f"not an SMTP reply line: {raw[:80]!r}")
        self._code = m.group(1)
        self._lines.append(raw[4:].decode("utf-8", "replace"))
        if len(self._lines) > MAX_LINES:
            raise ProtocolError("reply has too many lines")
        if m.group(2) != b"-":  # "250 text", or a bare "250"
            self._done.append(Reply(int(self._code), "\n".join(self._lines)))
            self._lines, self._code = [], b""

    def replies(self) -> list[Reply]:
        done, self._done = self._done, []
        return done

    @property
    def pending(self) -> bool:
        """Bytes of an unfinished reply are buffered (matters before TLS starts: RFC 3207 6)."""
        return bool(self._buf or self._lines)


def extensions(ehlo: Reply) -> dict[str, str]:
    """EHLO keywords (lower case) -> parameters, from the lines after the greeting line."""
    out: dict[str, str] = {}
    for line in ehlo.lines[1:]:
        keyword, _, params = line.strip().partition(" ")
        if keyword:
            out[keyword.lower()] = params.strip()
    return out


def command(*parts: str, utf8: bool = False) -> bytes:
    """One command line; CR or LF in an argument is refused rather than sent."""
    text = " ".join(p for p in parts if p)
    if "\r" in text or "\n" in text:
        raise ValueError("CR or LF in an SMTP command")
    return text.encode("utf-8" if utf8 else "ascii") + b"\r\n"


def dot_stuffed(data: bytes) -> bytes:
    """The message as DATA sends it (RFC 5321 4.5.2): CRLF line ends, a dot doubled at the start of
    a line, a final CRLF, and the terminating ".\\r\\n"."""
    body = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if body.startswith(b"."):
        body = b"." + body
    body = body.replace(b"\r\n.", b"\r\n..")
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"
