"""What every IMAP session of one process shares (ServerContext)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.common.blobstore import BlobStore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore
from services.common.watch import WatchHub
from services.imap.config import ImapConfig


class LiveSession(Protocol):
    """What the server needs of an open session (services.imap.session.Session) at shutdown."""

    changed: asyncio.Event | None

    def resync(self) -> None: ...


@dataclass
class ServerContext:
    """Everything sessions of one process share."""

    cfg: ImapConfig
    common: CommonConfig
    md: MetadataClient
    blobs: BlobStore
    hub: WatchHub
    mail: MailStore  # every message write goes through it (services.common.mailstore)
    auth: Any = None  # services.common.auth.Authenticator
    tls: Any = None  # ReloadingTLS | None
    trusted: tuple[Any, ...] = ()
    sessions: set[LiveSession] = field(default_factory=set)
    closing: bool = False
    learner: Any = None  # services.imap.learning.Learner when KUBEMAIL_RSPAMD_CONTROLLER_URL is set
