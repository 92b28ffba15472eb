"""What every SMTP session of one process shares: config, clients, TLS, networks."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging

import grpc
from aiosmtpd.smtp import SMTP

from services.common import srs
from services.common.admission import Admission
from services.common.auth import Authenticator, AuthLimits, AuthResult
from services.common.blobstore import BlobStore
from services.common.config import CommonConfig, ConfigError, ip_in, parse_networks
from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore
from services.common.resolver import Lookup, make_resolver
from services.common.rspamd import Rspamd
from services.common.tls import ReloadingTLS
from services.gen.kubemail.v1 import limits_pb2 as limits_pb
from services.smtp.config import SmtpConfig
from services.smtp.delivery import Deliverer
from services.smtp.trust import policy

log = logging.getLogger("kubemail.smtp")

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


@dataclasses.dataclass(frozen=True)
class Listener:
    kind: str  # mx, submission, submissions
    implicit_tls: bool = False
    auth: bool = False  # AUTH offered and required before MAIL


MX = Listener("mx")
SUBMISSION = Listener("submission", auth=True)
SUBMISSIONS = Listener("submissions", implicit_tls=True, auth=True)


class Context:
    def __init__(
        self,
        cfg: SmtpConfig,
        common: CommonConfig,
        client: MetadataClient,
        blobs: BlobStore,
        tls: ReloadingTLS | None,
        auth_limits: AuthLimits | None = None,
    ) -> None:
        self.cfg = cfg
        self.common = common
        self.client = client
        self.blobs = blobs
        self.tls = tls
        self.hostname = common.hostname
        self.trusted: Networks = parse_networks(common.trusted_networks)
        self.proxies: dict[str, Networks] = {
            kind: parse_networks(common.proxy_networks_of(kind))
            for kind in (MX.kind, SUBMISSION.kind, SUBMISSIONS.kind)
        }
        self.mailstore = MailStore(client, blobs, common.parse_in_thread_bytes, common.commit_attempts)
        self.deliverer = Deliverer(self.mailstore)
        self.sessions: set[SMTP] = set()  # services.smtp.session.KubemailSMTP
        self.inflight = 0  # deliveries between end of DATA and the reply
        self.draining = False
        self.auth_limits = auth_limits or AuthLimits()
        self.authenticator = Authenticator(client, "smtp", self.auth_limits)
        self.admission = Admission(client, self.auth_limits, "smtp", cfg.max_sessions, cfg.max_sessions_per_ip)
        try:
            self.srs_secret = srs.load_secret(common.srs_secret_file)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"KUBEMAIL_SRS_SECRET_FILE: {exc}") from None
        self.srs_domain = (common.srs_domain or common.hostname).lower()
        self.authserv_id = (cfg.authserv_id or common.hostname).lower()
        # only built when used: without servers it reads /etc/resolv.conf, which may not exist
        self.dns = Lookup(make_resolver(cfg.dns_servers, cfg.dns_timeout)) if cfg.trust else None
        self.rspamd = (
            Rspamd(common.rspamd_url, common.rspamd_controller_url, common.rspamd_timeout, common.rspamd_password_file)
            if common.rspamd_url
            else None
        )
        self.trust_defaults = policy.Defaults(
            cfg.dmarc_reject_action, cfg.dmarc_quarantine_action, cfg.local_spoof_action
        )

    def srs_original(self, address: str) -> str | None:
        """The original sender behind an SRS0 address of ours (valid hash, not expired), else None."""
        if self.srs_secret is None:
            return None
        local, _, domain = address.rpartition("@")
        if domain.lower() != self.srs_domain or not srs.is_srs(local):
            return None
        try:
            return srs.reverse(address, self.srs_secret)
        except srs.SrsError:
            return None

    def trusted_ip(self, ip: str) -> bool:
        return ip_in(ip, self.trusted)

    def proxy_ip(self, ip: str, listener: str) -> bool:
        """A peer at `ip` on `listener` (mx, submission, submissions) must send a PROXY header."""
        nets = self.proxies.get(listener, ())
        return bool(nets) and ip_in(ip, nets)

    async def hit(self, bucket: str, key: str, limit: int, window: int) -> bool:
        """One event against a shared sliding-window limit; fails open if Limits is down."""
        if limit <= 0:
            return True
        try:
            resp = await self.client.limits.Hit(
                limits_pb.HitRequest(bucket=bucket, key=key[:512], limit=limit, window_seconds=window, cost=1),
                timeout=2.0,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("rate limit %s unavailable (%s); allowing", bucket, exc.code().name)
            return True
        return bool(resp.allowed)

    async def login(self, username: str, password: bytes, remote_ip: str, mechanism: str) -> AuthResult:
        """services.common.auth: failure limits per IP and account, then Directory.Authenticate."""
        return await self.authenticator.login(username, password, remote_ip, mechanism)
