"""Per-process operator state shared by every handler (kopf memo: `memo.ctx`)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import os
from collections import defaultdict
from typing import Any

from argon2 import PasswordHasher, Type
from kopf._cogs.configs.configuration import OperatorSettings

from kubemail_operator.config import OperatorConfig
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.web.autoconfig import Published


@dataclasses.dataclass
class Context:
    config: OperatorConfig
    common: CommonConfig
    settings: OperatorSettings
    client: MetadataClient | None = None
    # what the web front-end publishes (the chart gives both the same KUBEMAIL_WEB_* settings)
    published: Published | None = None
    # kopf's live indexes (captured at startup; timers do not always receive them as kwargs).
    indexes: dict[str, Any] = dataclasses.field(default_factory=dict)
    hasher: PasswordHasher = dataclasses.field(init=False)
    locks: defaultdict[tuple[str, str, str], asyncio.Lock] = dataclasses.field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    # HMAC (process-local random key) of the password last applied per MailUser: a password
    # is re-hashed only when it changed, and never leaves the process in any form.
    applied_passwords: dict[tuple[str, str], bytes] = dataclasses.field(default_factory=dict)
    _key: bytes = dataclasses.field(default_factory=lambda: os.urandom(32))

    def __post_init__(self) -> None:
        self.hasher = PasswordHasher(
            time_cost=self.config.argon2_time_cost,
            memory_cost=self.config.argon2_memory_kib,
            parallelism=self.config.argon2_parallelism,
            type=Type.ID,
        )

    def metadata(self) -> MetadataClient:
        if self.client is None:
            self.client = MetadataClient(self.common.metadata_addr, self.common.grpc_timeout)
        return self.client

    def index(self, name: str) -> Any:
        return self.indexes.get(name, {})

    def lock(self, kind: str, namespace: str, name: str) -> asyncio.Lock:
        return self.locks[(kind, namespace, name)]

    def fingerprint(self, namespace: str, name: str, password: bytes) -> bytes:
        return hmac.new(self._key, f"{namespace}/{name}\0".encode() + password, hashlib.sha256).digest()

    async def hash_password(self, password: bytes) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None
