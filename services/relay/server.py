"""The relay process: settings to a running `Relay` (services.relay.worker) and its stop."""

from __future__ import annotations

import logging

from services.common import srs
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig, ConfigError
from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore
from services.relay import smarthost
from services.relay.config import RelayConfig
from services.relay.destination import Deliverer
from services.relay.dkimsign import Signer
from services.relay.mtasts import Policies
from services.relay.routing import Router, make_resolver
from services.relay.transfer import Timeouts, client_contexts
from services.relay.worker import Relay

log = logging.getLogger("kubemail.relay")


class RelayServer:
    def __init__(self, relay: Relay, policies: Policies | None, own_client: bool) -> None:
        self.relay = relay
        self.policies = policies
        self._own_client = own_client

    def bound_ports(self) -> dict[str, int]:
        return {}

    def ready(self) -> bool:
        return self.relay.healthy and not self.relay.stopping.is_set()

    async def stop(self, grace: float = 30.0) -> None:
        await self.relay.stop(grace)
        if self.policies is not None:
            await self.policies.close()
        if self._own_client:
            await self.relay.client.close()
        await self.relay.blobs.close()


async def start(
    cfg: RelayConfig,
    common: CommonConfig,
    *,
    client: MetadataClient | None = None,
    blobs: BlobStore | None = None,
) -> RelayServer:
    try:
        secret = srs.load_secret(common.srs_secret_file)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"KUBEMAIL_SRS_SECRET_FILE: {exc}") from None
    hosts = smarthost.load(cfg)
    own = client is None
    client = client or MetadataClient(common.metadata_addr, common.grpc_timeout)
    store = blobs or make_blobstore(common)
    mailstore = MailStore(client, store, common.parse_in_thread_bytes, common.commit_attempts)
    router = Router(make_resolver(cfg.dns_servers), ipv6=cfg.ipv6)
    contexts = client_contexts(cfg.tls_ca_file)
    policies = Policies(router, contexts[1], cfg.mta_sts_port) if cfg.mta_sts else None
    helo = cfg.helo_name or common.hostname
    deliverer = Deliverer(
        router,
        policies,
        contexts,
        Timeouts(cfg.connect_timeout, cfg.command_timeout, cfg.data_timeout),
        helo,
        cfg.smtp_port,
        cfg.max_rcpt_per_transaction,
    )
    relay = Relay(
        cfg,
        common.hostname,
        client,
        store,
        mailstore,
        deliverer,
        Signer(cfg.dkim_keys_dir),
        hosts,
        secret,
        common.srs_domain,
    )
    relay.start()
    log.info(
        "relay started: %s, concurrency %d",
        f"smarthost {hosts[0].host}:{hosts[0].port}" if hosts[0] else "direct MX delivery",
        cfg.concurrency,
    )
    return RelayServer(relay, policies, own)
