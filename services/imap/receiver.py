"""Sans-I/O command receiver: bytes in, complete commands (or errors) out.

The receiver splits the input into command lines and literals. A line ending in
``{N}`` announces a synchronising literal: the receiver asks the session to send a
continuation request; ``{N+}`` (LITERAL+) is sent without waiting. When the command is
complete it is handed to :mod:`services.imap.grammar` for parsing. Everything is bounded:
line length, literal size (APPEND: the APPENDLIMIT; other commands: a small limit),
literal count per command and total command size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.imap.grammar import Command, ParseError, parse_command

_LIT_RE = re.compile(rb"~?\{(\d{1,20})(\+)?\}$")
_TAG_RE = re.compile(rb"^([\x21-\x7e]+?) ")
_TAG_BAD = set(b'(){%*"\\+')


@dataclass(frozen=True)
class Limits:
    max_line: int = 65536
    max_literal: int = 50 * 1024 * 1024  # APPEND
    max_small_literal: int = 65536  # any other command
    max_literals: int = 64
    max_command: int = 50 * 1024 * 1024 + 1024 * 1024
    literal_minus: bool = False  # LITERAL- (4096 octet non-synchronising literals)


@dataclass
class Continue:
    """Send '+ text' (a synchronising literal may now be sent)."""

    text: str = "Ready for literal"


@dataclass
class Bad:
    """Reply '<tag> BAD text' (tag '*' when unknown) and carry on."""

    tag: str
    text: str
    code: str | None = None
    status: str = "BAD"


@dataclass
class Fatal:
    """Reply '* BYE text' and close the connection."""

    text: str


Event = Command | Continue | Bad | Fatal


@dataclass
class _Pending:
    segments: list[bytes] = field(default_factory=list)
    literals: list[bytes] = field(default_factory=list)
    size: int = 0
    tag: str = "*"
    name: str = ""


def _tag_of(line: bytes) -> str:
    m = _TAG_RE.match(line)
    if not m:
        return "*"
    tag = m.group(1)
    if any(b in _TAG_BAD for b in tag) or len(tag) > 64:
        return "*"
    return tag.decode("ascii")


def _name_of(line: bytes) -> str:
    parts = line.split(b" ", 3)
    if len(parts) < 2:
        return ""
    name = parts[1].upper()
    if name == b"UID" and len(parts) > 2:
        name = parts[2].upper()
    return name.decode("ascii", "replace")


class Receiver:
    """Feed bytes with :meth:`feed`; pull events with :meth:`next` until it returns None."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._buf = bytearray()
        self._pending: _Pending | None = None
        self._literal_left = 0  # bytes of the current literal still to come
        self._literal_buf = bytearray()
        self._discard = 0  # bytes of a rejected literal to drop
        self._discard_reply: Bad | None = None  # sent once the rest of the command is dropped
        self._skip_line = False  # drop input up to the next CRLF
        self.closed = False

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> None:
        self._buf += data

    def take_buffered(self) -> bytes:
        """The raw input not yet looked at (COMPRESS: sent after the command, so compressed)."""
        data = bytes(self._buf)
        self._buf.clear()
        return data

    def take_line(self) -> bytes | None:
        """A raw line without CRLF (AUTHENTICATE responses, IDLE's DONE); None if incomplete.

        Raises ValueError when the line is longer than the limit.
        """
        idx = self._buf.find(b"\r\n")
        if idx < 0:
            if len(self._buf) > self.limits.max_line:
                self._buf.clear()
                raise ValueError("line too long")
            return None
        line = bytes(self._buf[:idx])
        del self._buf[: idx + 2]
        if len(line) > self.limits.max_line:
            raise ValueError("line too long")
        return line

    def in_command(self) -> bool:
        return self._pending is not None or self._literal_left > 0 or self._discard > 0

    def partial(self) -> bool:
        """Part of a command (a line without its CRLF, or a literal) has been received."""
        return self.in_command() or bool(self._buf)

    def next(self) -> Event | None:
        while True:
            if self.closed:
                return None
            if self._discard:
                n = min(self._discard, len(self._buf))
                del self._buf[:n]
                self._discard -= n
                if self._discard:
                    return None
                self._skip_line = True
            if self._skip_line:
                idx = self._buf.find(b"\r\n")
                if idx < 0:
                    # keep only a possible trailing CR
                    keep = 1 if self._buf.endswith(b"\r") else 0
                    del self._buf[: len(self._buf) - keep]
                    return None
                del self._buf[: idx + 2]
                self._skip_line = False
                if self._discard_reply is not None:
                    reply, self._discard_reply = self._discard_reply, None
                    self._pending = None
                    return reply
                continue
            if self._literal_left:
                n = min(self._literal_left, len(self._buf))
                self._literal_buf += self._buf[:n]
                del self._buf[:n]
                self._literal_left -= n
                if self._literal_left:
                    return None
                assert self._pending is not None
                self._pending.literals.append(bytes(self._literal_buf))
                self._literal_buf = bytearray()
            ev = self._line()
            if ev is None:
                return None
            if ev is _AGAIN:
                continue
            return ev  # type: ignore[return-value]

    def _line(self) -> Event | object | None:
        lim = self.limits
        idx = self._buf.find(b"\n")
        if idx < 0:
            if len(self._buf) > lim.max_line:
                tag = self._pending.tag if self._pending else _tag_of(bytes(self._buf[:80]))
                self._buf.clear()
                self._pending = None
                self._skip_line = True
                return Bad(tag, "Line too long")
            return None
        end = idx - 1 if idx > 0 and self._buf[idx - 1] == 0x0D else idx
        line = bytes(self._buf[:end])
        del self._buf[: idx + 1]
        pending = self._pending
        if pending is None:
            pending = _Pending(tag=_tag_of(line), name=_name_of(line))
            self._pending = pending
        if len(line) > lim.max_line:
            self._pending = None
            return Bad(pending.tag, "Line too long")
        pending.size += len(line) + 2
        pending.segments.append(line)
        m = _LIT_RE.search(line)
        if m is None:
            self._pending = None
            if not pending.segments[0].strip() and len(pending.segments) == 1:
                return Bad("*", "Empty command line")  # as peers answer it (#13 item 8)
            try:
                return parse_command(pending.segments, pending.literals)
            except ParseError as exc:
                return Bad(exc.tag or pending.tag, str(exc), exc.code)
        size = int(m.group(1))
        nonsync = m.group(2) is not None
        limit = lim.max_literal if pending.name == "APPEND" else lim.max_small_literal
        if lim.literal_minus and nonsync and size > 4096:
            # RFC 7888 4: tagged BAD [TOOBIG]; the literal the client sends anyway is dropped
            return self._reject(pending, size, True, Bad(pending.tag, "Non-synchronising literal too big", "TOOBIG"))
        if size > limit or pending.size + size > lim.max_command:
            code = "TOOBIG" if pending.name == "APPEND" else None
            status = "NO" if pending.name == "APPEND" else "BAD"
            return self._reject(pending, size, nonsync, Bad(pending.tag, "Literal too big", code, status))
        if len(pending.literals) >= lim.max_literals:
            return self._reject(pending, size, nonsync, Bad(pending.tag, "Too many literals"))
        pending.size += size
        self._literal_left = size
        self._literal_buf = bytearray()
        if size == 0:
            pending.literals.append(b"")
        if nonsync:
            return _AGAIN
        return Continue()

    def _reject(self, pending: _Pending, size: int, nonsync: bool, reply: Bad) -> Event:
        self._pending = None
        if nonsync:
            # the client sends the literal anyway: drop it and the rest of the command
            self._discard = size
            self._skip_line = True
            self._discard_reply = reply
            self._pending = pending
            return _AGAIN  # type: ignore[return-value]
        return reply


_AGAIN = object()
