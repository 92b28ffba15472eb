"""A command is found by its name: for IMAP, its parser is `grammar._<name>` (or a shared
one), its handler is `HANDLERS[NAME]`, a function named `<name>` in services/imap/cmd_*.py,
and its acceptance tests are tests/imap/commands/test_<name>.py; for POP3, its row is
`protocol.COMMANDS[NAME]` and its handler `session.cmd_<name>`."""

from __future__ import annotations

from pathlib import Path

from services.imap import grammar
from services.imap.handlers import HANDLERS
from services.pop3 import protocol
from services.pop3 import session as pop3_session

IMAP_TESTS = Path(__file__).resolve().parent / "imap" / "commands"

# commands that share another command's parser or handler (the name says which)
SHARED_PARSERS = {
    "EXAMINE": "_select",
    "MOVE": "_copy",
    "DELETE": "_mailbox_only",
    "SUBSCRIBE": "_mailbox_only",
    "UNSUBSCRIBE": "_mailbox_only",
    "GETQUOTAROOT": "_mailbox_only",
}
SHARED_HANDLERS = {"EXAMINE": "select", "LSUB": "list", "UNSUBSCRIBE": "subscribe", "MOVE": "copy"}


def test_every_imap_command_has_a_handler() -> None:
    assert set(HANDLERS) == set(grammar.COMMANDS)


def test_imap_parsers_are_named_after_their_command() -> None:
    wrong = {}
    for name, spec in grammar.COMMANDS.items():
        expected = SHARED_PARSERS.get(name, "_" + name.lower())
        if spec.parse.__name__ not in (expected, "_none"):
            wrong[name] = spec.parse.__name__
        if spec.uid_parse is not None and spec.uid_parse.__name__ != "_uid_" + name.lower():
            wrong["UID " + name] = spec.uid_parse.__name__
    assert not wrong, wrong


def test_imap_handlers_are_named_after_their_command() -> None:
    wrong = {}
    for name, fn in HANDLERS.items():
        expected = SHARED_HANDLERS.get(name, name.lower())
        if fn.__name__.rstrip("_") != expected or not fn.__module__.startswith("services.imap.cmd_"):
            wrong[name] = f"{fn.__module__}.{fn.__name__}"
    assert not wrong, wrong


def test_every_imap_command_has_a_test_module_named_after_it() -> None:
    missing = [n for n in grammar.COMMANDS if not (IMAP_TESTS / f"test_{n.lower()}.py").is_file()]
    assert not missing, f"no tests/imap/commands/test_<name>.py for {missing}"


def test_every_pop3_command_has_a_handler_named_after_it() -> None:
    assert set(pop3_session.HANDLERS) == set(protocol.COMMANDS)
    wrong = {n: fn.__name__ for n, fn in pop3_session.HANDLERS.items() if fn.__name__ != "cmd_" + n.lower()}
    assert not wrong, wrong
