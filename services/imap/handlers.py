"""The command table: command name -> handler (allowed states live in grammar.COMMANDS)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.imap import (
    cmd_acl,
    cmd_append,
    cmd_basic,
    cmd_fetch,
    cmd_mailbox,
    cmd_message,
    cmd_metadata,
    cmd_notify,
    cmd_sort,
    cmd_thread,
)
from services.imap.errors import Result
from services.imap.grammar import COMMANDS, Command
from services.imap.session import Session

Handler = Callable[[Session, Command], Awaitable[Result]]

HANDLERS: dict[str, Handler] = {
    "CAPABILITY": cmd_basic.capability,
    "NOOP": cmd_basic.noop,
    "CHECK": cmd_basic.check,
    "LOGOUT": cmd_basic.logout,
    "ID": cmd_basic.id_,
    "STARTTLS": cmd_basic.starttls,
    "LOGIN": cmd_basic.login,
    "AUTHENTICATE": cmd_basic.authenticate,
    "ENABLE": cmd_basic.enable,
    "NAMESPACE": cmd_basic.namespace,
    "IDLE": cmd_basic.idle,
    "COMPRESS": cmd_basic.compress,
    "SELECT": cmd_mailbox.select,
    "EXAMINE": cmd_mailbox.select,
    "CREATE": cmd_mailbox.create,
    "DELETE": cmd_mailbox.delete,
    "RENAME": cmd_mailbox.rename,
    "SUBSCRIBE": cmd_mailbox.subscribe,
    "UNSUBSCRIBE": cmd_mailbox.subscribe,
    "LIST": cmd_mailbox.list_,
    "LSUB": cmd_mailbox.list_,
    "STATUS": cmd_mailbox.status,
    "APPEND": cmd_append.append,
    "GETQUOTA": cmd_mailbox.getquota,
    "GETQUOTAROOT": cmd_mailbox.getquotaroot,
    "SETQUOTA": cmd_mailbox.setquota,
    "GETMETADATA": cmd_metadata.getmetadata,
    "SETMETADATA": cmd_metadata.setmetadata,
    "SETACL": cmd_acl.setacl,
    "DELETEACL": cmd_acl.deleteacl,
    "GETACL": cmd_acl.getacl,
    "LISTRIGHTS": cmd_acl.listrights,
    "MYRIGHTS": cmd_acl.myrights,
    "NOTIFY": cmd_notify.notify_,
    "CLOSE": cmd_message.close,
    "UNSELECT": cmd_message.unselect,
    "EXPUNGE": cmd_message.expunge,
    "STORE": cmd_message.store,
    "COPY": cmd_message.copy,
    "MOVE": cmd_message.copy,
    "SEARCH": cmd_message.search,
    "CANCELUPDATE": cmd_message.cancelupdate,
    "SORT": cmd_sort.sort,
    "THREAD": cmd_thread.thread,
    "FETCH": cmd_fetch.fetch,
}

assert set(HANDLERS) == set(COMMANDS), set(COMMANDS) ^ set(HANDLERS)
