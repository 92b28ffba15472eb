"""Command outcomes: the tagged reply a handler returns (Result) or raises (CommandError via
no() / bad()), and Silent for a handler that already sent its own tagged reply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Result:
    status: str = "OK"  # OK NO BAD
    text: str = "Completed"
    code: str | None = None


class CommandError(Exception):
    def __init__(self, status: str, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.result = Result(status, text, code)


class Silent(Exception):  # noqa: N818
    """The handler already sent its tagged reply."""


def no(text: str, code: str | None = None) -> CommandError:
    return CommandError("NO", text, code)


def bad(text: str, code: str | None = None) -> CommandError:
    return CommandError("BAD", text, code)
