"""Sans-I/O POP3 input: bytes in, bounded lines out, lines parsed into command objects.

Nothing here touches a socket. `LineReader` splits a byte stream into CRLF (or bare LF)
terminated lines, bounding their length; `parse_command` turns one line into a `Command`
or a `CommandError`, checking the keyword, the state table and the argument count.
"""

from __future__ import annotations

import dataclasses
import enum

# RFC 2449: command lines are at most 255 octets including CRLF; we accept a margin for
# clients that overrun it slightly. SASL continuation lines (RFC 5034) may be longer.
MAX_COMMAND_LINE = 512
MAX_SASL_LINE = 4096
MAX_ARG = 255
MAX_MSGNO = 10**9


class State(enum.Enum):
    AUTHORIZATION = "AUTHORIZATION"
    TRANSACTION = "TRANSACTION"
    UPDATE = "UPDATE"


AUTH = frozenset({State.AUTHORIZATION})
TRANS = frozenset({State.TRANSACTION})
BOTH = frozenset({State.AUTHORIZATION, State.TRANSACTION})


@dataclasses.dataclass(frozen=True)
class CommandSpec:
    """One row of the command table: the states a command is allowed in and its arity."""

    name: str
    states: frozenset[State]
    min_args: int = 0
    max_args: int = 0
    rest: bool = False  # the single argument is the rest of the line (PASS may contain spaces)


COMMANDS: dict[str, CommandSpec] = {
    s.name: s
    for s in (
        CommandSpec("CAPA", BOTH),
        CommandSpec("QUIT", BOTH),
        CommandSpec("NOOP", TRANS),
        CommandSpec("STLS", AUTH),
        CommandSpec("USER", AUTH, 1, 1, rest=True),
        CommandSpec("PASS", AUTH, 1, 1, rest=True),
        CommandSpec("AUTH", AUTH, 0, 2),
        CommandSpec("STAT", TRANS),
        CommandSpec("LIST", TRANS, 0, 1),
        CommandSpec("UIDL", TRANS, 0, 1),
        CommandSpec("RETR", TRANS, 1, 1),
        CommandSpec("DELE", TRANS, 1, 1),
        CommandSpec("TOP", TRANS, 2, 2),
        CommandSpec("RSET", TRANS),
    )
}


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class CommandError:
    """A line that is not an acceptable command here; `text` is the -ERR reply text."""

    text: str
    name: str = ""  # the keyword when recognised (for metrics); "" otherwise


class LineTooLong:
    """Marker: a line exceeded the bound; its bytes were discarded up to the next LF."""

    def __repr__(self) -> str:
        return "LineTooLong()"


TOO_LONG = LineTooLong()


class LineReader:
    """Splits a byte stream into lines without their terminator, bounding line length.

    `feed` buffers bytes; `next_line` returns the next complete line, `TOO_LONG` once for
    every overlong line (whose bytes are dropped up to and including its LF), or None
    when more input is needed. Memory is bounded by `limit` plus one fed chunk.
    """

    def __init__(self, limit: int = MAX_COMMAND_LINE) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> None:
        self._buf += data

    def clear(self) -> None:
        """Drops buffered input (after STLS: nothing sent in plaintext may be used)."""
        self._buf.clear()
        self._discarding = False

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def next_line(self, limit: int | None = None) -> bytes | LineTooLong | None:
        limit = self.limit if limit is None else limit
        while True:
            nl = self._buf.find(b"\n")
            if self._discarding:
                if nl < 0:
                    self._buf.clear()
                    return None
                del self._buf[: nl + 1]
                self._discarding = False
                return TOO_LONG
            if nl < 0:
                if len(self._buf) > limit:
                    self._buf.clear()
                    self._discarding = True
                    continue
                return None
            if nl + 1 > limit:
                del self._buf[: nl + 1]
                return TOO_LONG
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if line.endswith(b"\r"):
                line = line[:-1]
            return line


def parse_command(line: bytes, state: State) -> Command | CommandError:
    """Parses one command line (terminator removed) for a session in `state`."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return CommandError("Invalid UTF-8 in command")
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in text):
        return CommandError("Control characters in command")
    keyword, _, rest = text.partition(" ")
    name = keyword.upper()
    spec = COMMANDS.get(name)
    if spec is None:
        return CommandError("Unknown command" if keyword else "Empty command")
    if state not in spec.states:
        return CommandError(f"{name} not allowed in {state.value} state", name)
    if spec.rest:
        args: tuple[str, ...] = (rest,) if rest else ()
        if len(rest) > MAX_ARG:
            return CommandError("Argument too long", name)
    else:
        args = tuple(rest.split(" ")) if rest else ()
        if any(not a for a in args):
            return CommandError("Malformed arguments", name)
        if any(len(a) > MAX_ARG for a in args):
            return CommandError("Argument too long", name)
    if not spec.min_args <= len(args) <= spec.max_args:
        return CommandError(f"Wrong number of arguments for {name}", name)
    return Command(name, args)


def parse_msgno(arg: str) -> int | None:
    """A message-number argument: decimal digits, 1..MAX_MSGNO; None when malformed."""
    if not arg.isascii() or not arg.isdigit() or len(arg) > 10:
        return None
    n = int(arg)
    return n if 1 <= n <= MAX_MSGNO else None


def parse_count(arg: str) -> int | None:
    """A non-negative line count (TOP); None when malformed."""
    if not arg.isascii() or not arg.isdigit() or len(arg) > 10:
        return None
    return int(arg)
