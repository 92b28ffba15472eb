"""Streaming, sans-I/O transformation of a stored message into a POP3 multi-line body.

Lines end in CRLF (a bare LF becomes CRLF), lines starting with "." get one more ".", the
body ends with ".\r\n". Lines may be split anywhere across input chunks, and no line is
ever held in memory: output is produced as input arrives. With `body_lines` set it
implements TOP: the header, the blank line, then at most that many body lines.
"""

from __future__ import annotations


class DotStuffer:
    def __init__(self, body_lines: int | None = None) -> None:
        self.body_lines = body_lines
        self.done = False  # TOP: the requested lines are out; further input is ignored
        self._line_len = 0  # octets of the current line seen so far
        self._last_cr = False  # the last octet of the current line was CR
        self._in_header = True
        self._body_seen = 0

    def feed(self, chunk: bytes) -> bytes:
        if self.done or not chunk:
            return b""
        out: list[bytes] = []
        parts = chunk.split(b"\n")
        last = len(parts) - 1
        for i, part in enumerate(parts):
            if part:
                if self._line_len == 0 and part[0] == 0x2E:  # "."
                    out.append(b".")
                out.append(part)
                self._line_len += len(part)
                self._last_cr = part[-1] == 0x0D
            if i == last:
                break
            empty = self._line_len == 0 or (self._line_len == 1 and self._last_cr)
            out.append(b"\n" if self._last_cr else b"\r\n")
            self._line_len = 0
            self._last_cr = False
            if self.body_lines is not None and self._line_ended(empty):
                self.done = True
                break
        return b"".join(out)

    def _line_ended(self, empty: bool) -> bool:
        """TOP bookkeeping; True when the requested lines are complete."""
        assert self.body_lines is not None
        if self._in_header:
            if empty:
                self._in_header = False
                return self.body_lines == 0
            return False
        self._body_seen += 1
        return self._body_seen >= self.body_lines

    def finish(self) -> bytes:
        """The end of the body: a CRLF if the last line was unterminated, then '.'."""
        tail = b""
        if not self.done and self._line_len:
            tail = b"\n" if self._last_cr else b"\r\n"
        self._line_len = 0
        self.done = True
        return tail + b".\r\n"


def stuff(data: bytes, body_lines: int | None = None) -> bytes:
    """The whole multi-line body of `data` at once (tests and small messages)."""
    d = DotStuffer(body_lines)
    return d.feed(data) + d.finish()
