# ruff: noqa: N802  -- gRPC method names come from the proto
"""Directory service: domains, users, aliases, authentication and recipient resolution.

Global keys (one slot each; no multi-key atomicity needed):
  dom:<name> -> Domain bytes; domalias:<alias> -> domain; domains (set)
  user:<id> -> User bytes (with password_hash); addr:<lower-case address> -> user id
  users (set of ids); users:<domain> (set of ids)
Writes are ordered so a partial failure leaves nothing reachable: the address mapping,
which makes a user visible, is written last and removed first.
"""

from __future__ import annotations

import functools
import logging
import secrets
import uuid
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.common.loginname import login_name
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import directory_pb2_grpc as directory_rpc
from services.gen.kubemail.v1 import errors_pb2 as er
from services.metadata import keys, paging
from services.metadata import validate as v
from services.metadata.authcache import AuthCache
from services.metadata.config import MetadataConfig
from services.metadata.errors import Fail, invalid
from services.metadata.hashgate import HashGate, OverloadedError
from services.metadata.store import Store

log = logging.getLogger("kubemail.metadata.directory")
_HASHER = PasswordHasher()
MAX_ALIASES = 256
MAX_WIPE_DEVICES = 100
DEFAULT_PAGE = 100  # ListDomains/ListUsers page_size 0
MAX_PAGE = 1000


def _verify(password_hash: str, password: bytes) -> bool:
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """An argon2 hash of a random secret with _HASHER's parameters, verified for unknown users."""
    return _HASHER.hash(secrets.token_bytes(16))


def _verify_dummy(password: bytes) -> bool:
    """The same argon2 work as a wrong password (made on the hashing worker, first time included)."""
    _verify(_dummy_hash(), password)
    return False


class DirectoryData:
    """Reads of the directory shared by every servicer."""

    def __init__(self, store: Store, cfg: MetadataConfig) -> None:
        self.store = store
        self.cfg = cfg

    async def domain(self, name: str) -> directory_pb.Domain | None:
        raw = await self.store.timed("dir_get", self.store.r.get(keys.domain(name)))
        return None if raw is None else directory_pb.Domain.FromString(raw)

    async def canonical_domain(self, name: str) -> str | None:
        """The served domain for `name` (itself or through a domain alias)."""
        if await self.store.timed("dir_get", self.store.r.exists(keys.domain(name))):
            return name
        target = await self.store.timed("dir_get", self.store.r.get(keys.domain_alias(name)))
        return None if target is None else target.decode()

    async def user_by_id(self, user_id: str) -> directory_pb.User | None:
        raw = await self.store.timed("dir_get", self.store.r.get(keys.user_record(user_id)))
        return None if raw is None else directory_pb.User.FromString(raw)

    async def user_id_by_address(self, address: str) -> str | None:
        raw = await self.store.timed("dir_get", self.store.r.get(keys.address(v.address_key(address))))
        return None if raw is None else raw.decode()

    async def require_user(self, user_id: str) -> directory_pb.User:
        v.user_id(user_id)
        raw = await self.store.timed("dir_get", self.store.r.get(keys.user_record(user_id)))
        return self.user_or_fail(raw)

    @staticmethod
    def user_or_fail(raw: bytes | None) -> directory_pb.User:
        """The user record read from keys.user_record (in a caller's pipeline); NO_SUCH_USER for none."""
        if raw is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_USER, "no such user")
        return directory_pb.User.FromString(raw)

    async def limits(self, user: directory_pb.User) -> tuple[int, int]:
        """(quota limit in bytes or 0, largest message in bytes) with one domain read."""
        dom = await self.domain(user.address.rpartition("@")[2])
        quota = int(user.quota_bytes) or (int(dom.default_quota_bytes) if dom else 0)
        size = self.cfg.max_message_bytes
        if dom and dom.max_message_bytes:
            size = min(size, int(dom.max_message_bytes))
        return quota, size

    async def quota_limit(self, user: directory_pb.User) -> int:
        if user.quota_bytes:
            return int(user.quota_bytes)
        dom = await self.domain(user.address.rpartition("@")[2])
        return int(dom.default_quota_bytes) if dom else 0

    async def max_message_bytes(self, user: directory_pb.User) -> int:
        dom = await self.domain(user.address.rpartition("@")[2])
        limit = self.cfg.max_message_bytes
        if dom and dom.max_message_bytes:
            limit = min(limit, int(dom.max_message_bytes))
        return limit

    async def used(self, user_id: str) -> tuple[int, int]:
        used, msgs = await self.store.timed(
            "quota_get", self.store.r.hmget(keys.user(user_id).quota, "used", "messages")
        )
        return int(used or 0), int(msgs or 0)

    def public(self, user: directory_pb.User, used: int = 0) -> directory_pb.User:
        out = directory_pb.User()
        out.CopyFrom(user)
        out.has_password = bool(user.password_hash)
        out.password_hash = ""
        out.used_bytes = used
        return out

    def default_mailboxes(self) -> list[tuple[str, str]]:
        out = [("INBOX", "")]
        for item in self.cfg.special_use_mailboxes:
            name, _, special = item.partition(":")
            out.append((v.mailbox_name(name), special))
        return out


class DirectoryServicer(directory_rpc.DirectoryServiceServicer):
    def __init__(self, data: DirectoryData, gate: HashGate | None = None) -> None:
        self.d = data
        self.store = data.store
        cfg = data.cfg
        self.gate = gate or HashGate(cfg.hash_workers, cfg.hash_queue_per_source, cfg.hash_queue)
        self.auth_cache = AuthCache(cfg.auth_cache_ttl_seconds, cfg.auth_cache_size)

    # -- domains -----------------------------------------------------------------------

    async def UpsertDomain(
        self, upsert: directory_pb.UpsertDomainRequest, context: Any
    ) -> directory_pb.UpsertDomainResponse:
        request = upsert.domain
        name = v.domain_name(request.name)
        aliases = sorted({v.domain_name(a) for a in request.aliases})
        if len(aliases) > MAX_ALIASES:
            raise invalid("too many domain aliases")
        if name in aliases:
            raise invalid("a domain cannot be its own alias")
        if request.catch_all:
            v.address(request.catch_all)
        r = self.store.r
        if await self.store.timed("dir_get", r.exists(keys.domain_alias(name))):
            raise Fail(er.ERROR_REASON_ALIAS_TAKEN, f"{name} is an alias of another domain")
        for a in aliases:
            if await self.store.timed("dir_get", r.exists(keys.domain(a))):
                raise Fail(er.ERROR_REASON_ALIAS_TAKEN, f"alias {a} is a domain")
            owner = await self.store.timed("dir_get", r.get(keys.domain_alias(a)))
            if owner is not None and owner.decode() != name:
                raise Fail(er.ERROR_REASON_ALIAS_TAKEN, f"alias {a} belongs to another domain")
        old = await self.d.domain(name)
        dom = directory_pb.Domain()
        dom.CopyFrom(request)
        dom.name = name
        del dom.aliases[:]
        dom.aliases.extend(aliases)
        await self.store.timed("dir_set", r.set(keys.domain(name), dom.SerializeToString()))
        await self.store.timed("dir_set", r.sadd("domains", name))
        for a in aliases:
            await self.store.timed("dir_set", r.set(keys.domain_alias(a), name))
        for a in set(old.aliases if old else []) - set(aliases):
            await self.store.timed("dir_del", r.delete(keys.domain_alias(a)))
        return directory_pb.UpsertDomainResponse(domain=dom)

    async def GetDomain(self, request: directory_pb.GetDomainRequest, context: Any) -> directory_pb.GetDomainResponse:
        dom = await self.d.domain(v.domain_name(request.name))
        if dom is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_DOMAIN, "no such domain")
        return directory_pb.GetDomainResponse(domain=dom)

    async def ListDomains(
        self, request: directory_pb.ListDomainsRequest, context: Any
    ) -> directory_pb.ListDomainsResponse:
        names = sorted(n.decode() for n in await self.store.timed("dir_list", self.store.r.smembers("domains")))
        page, token = paging.page(names, request.page_size, request.page_token, DEFAULT_PAGE, MAX_PAGE)
        out = directory_pb.ListDomainsResponse(next_page_token=token)
        for n in page:
            dom = await self.d.domain(n)
            if dom is not None:
                out.domains.append(dom)
        return out

    async def DeleteDomain(
        self, request: directory_pb.DeleteDomainRequest, context: Any
    ) -> directory_pb.DeleteDomainResponse:
        name = v.domain_name(request.name)
        dom = await self.d.domain(name)
        if dom is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_DOMAIN, "no such domain")
        r = self.store.r
        if await self.store.timed("dir_list", r.scard(keys.domain_users(name))):
            raise Fail(er.ERROR_REASON_DOMAIN_NOT_EMPTY, "domain still has users")
        for a in dom.aliases:
            await self.store.timed("dir_del", r.delete(keys.domain_alias(a)))
        await self.store.timed("dir_del", r.srem("domains", name))
        await self.store.timed("dir_del", r.delete(keys.domain(name)))
        return directory_pb.DeleteDomainResponse()

    # -- users -------------------------------------------------------------------------

    async def UpsertUser(self, upsert: directory_pb.UpsertUserRequest, context: Any) -> directory_pb.UpsertUserResponse:
        request, clear = upsert.user, upsert.clear_password
        address = v.address(request.address)
        domain = address.rpartition("@")[2]
        dom = await self.d.domain(domain)
        if dom is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_DOMAIN, f"domain {domain} is not served here")
        if request.password_hash and not request.password_hash.startswith("$argon2"):
            raise invalid("password_hash must be an argon2 PHC string")
        if request.password_hash and clear:
            raise invalid("password_hash and clear_password are exclusive")
        aliases = sorted({v.address(a) for a in request.aliases})
        if len(aliases) > MAX_ALIASES or len(request.forward_to) > MAX_ALIASES:
            raise invalid("too many aliases or forwards")
        forwards = [v.address(a) for a in request.forward_to]
        if len(request.wipe_devices) > MAX_WIPE_DEVICES or not all(
            1 <= len(d) <= 128 and d.isprintable() for d in request.wipe_devices
        ):
            raise invalid(f"wipe_devices: at most {MAX_WIPE_DEVICES} device ids of 1..128 printable characters")
        r = self.store.r
        uid = await self.d.user_id_by_address(address)
        old = await self.d.user_by_id(uid) if uid else None
        if old is not None and v.address_key(old.address) != v.address_key(address):
            raise Fail(er.ERROR_REASON_ALIAS_TAKEN, f"{address} is an alias of another user")
        for a in aliases:
            owner = await self.d.user_id_by_address(a)
            if owner is not None and owner != uid:
                raise Fail(er.ERROR_REASON_ALIAS_TAKEN, f"alias {a} belongs to another user")
        if old is None:
            users = keys.domain_users(domain)
            if dom.max_users and await self.store.timed("dir_list", r.scard(users)) >= dom.max_users:
                raise Fail(er.ERROR_REASON_USER_LIMIT, "domain has max_users users")
            uid = uuid.uuid4().hex
        assert uid is not None
        user = directory_pb.User()
        user.CopyFrom(request)
        user.id = uid
        user.address = address
        del user.aliases[:]
        user.aliases.extend(aliases)
        del user.forward_to[:]
        user.forward_to.extend(forwards)
        wipe = sorted(set(request.wipe_devices))
        del user.wipe_devices[:]
        user.wipe_devices.extend(wipe)
        user.used_bytes = 0
        user.has_password = False
        if not request.password_hash and old is not None and not clear:
            user.password_hash = old.password_hash
        if old is None:
            args: list[str] = []
            for name, special in self.d.default_mailboxes():
                args += [name, special]
            await self.store.user_script("init_user", uid, args)
        await self.store.timed("dir_set", r.set(keys.user_record(uid), user.SerializeToString()))
        await self.store.timed("dir_set", r.sadd(keys.ALL_USERS, uid))
        await self.store.timed("dir_set", r.sadd(keys.domain_users(domain), uid))
        for a in [address, *aliases]:
            await self.store.timed("dir_set", r.set(keys.address(v.address_key(a)), uid))
        if old is not None:
            keep = {v.address_key(a) for a in aliases}
            for a in old.aliases:
                if v.address_key(a) not in keep:
                    await self.store.timed("dir_del", r.delete(keys.address(v.address_key(a))))
        used, _ = await self.d.used(uid)
        return directory_pb.UpsertUserResponse(user=self.d.public(user, used))

    async def _lookup(self, request: directory_pb.GetUserRequest) -> directory_pb.User:
        which = request.WhichOneof("key")
        if which == "id":
            return await self.d.require_user(request.id)
        if which == "address":
            uid = await self.d.user_id_by_address(v.address(request.address))
            user = await self.d.user_by_id(uid) if uid else None
            if user is None:
                raise Fail(er.ERROR_REASON_NO_SUCH_USER, "no such user")
            return user
        raise invalid("id or address is required")

    async def GetUser(self, request: directory_pb.GetUserRequest, context: Any) -> directory_pb.GetUserResponse:
        user = await self._lookup(request)
        used, _ = await self.d.used(user.id)
        return directory_pb.GetUserResponse(user=self.d.public(user, used))

    async def ListUsers(self, request: directory_pb.ListUsersRequest, context: Any) -> directory_pb.ListUsersResponse:
        key = keys.domain_users(v.domain_name(request.domain)) if request.domain else keys.ALL_USERS
        ids = sorted(i.decode() for i in await self.store.timed("dir_list", self.store.r.smembers(key)))
        page, token = paging.page(ids, request.page_size, request.page_token, DEFAULT_PAGE, MAX_PAGE)
        out = directory_pb.ListUsersResponse(next_page_token=token)
        for uid in page:
            user = await self.d.user_by_id(uid)
            if user is not None:
                used, _ = await self.d.used(uid)
                out.users.append(self.d.public(user, used))
        return out

    async def DeleteUser(
        self, request: directory_pb.DeleteUserRequest, context: Any
    ) -> directory_pb.DeleteUserResponse:
        address = v.address(request.address)
        uid = await self.d.user_id_by_address(address)
        user = await self.d.user_by_id(uid) if uid else None
        if user is None or uid is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_USER, "no such user")
        if v.address_key(user.address) != v.address_key(address):
            raise invalid("address is an alias; delete the user by its primary address")
        r = self.store.r
        for a in [user.address, *user.aliases]:
            await self.store.timed("dir_del", r.delete(keys.address(v.address_key(a))))
        removed = 0
        if request.purge_mail:
            res = await self.store.user_script("purge", uid, [])
            removed = int(res.get("messages", 0))
            await self.store.blob_decr_many(res.get("blobs") or [])
        await self.store.timed("dir_del", r.srem(keys.domain_users(user.address.rpartition("@")[2]), uid))
        await self.store.timed("dir_del", r.srem(keys.ALL_USERS, uid))
        await self.store.timed("dir_del", r.delete(keys.user_record(uid)))
        return directory_pb.DeleteUserResponse(messages_removed=removed)

    # -- authentication and recipients -------------------------------------------------

    async def Authenticate(
        self, request: directory_pb.AuthenticateRequest, context: Any
    ) -> directory_pb.AuthenticateResponse:
        bad = directory_pb.AuthenticateResponse(ok=False, reason="bad-credentials")
        if len(request.password) > 1024 or not request.username:
            return bad
        parts = v.split_address(login_name(request.username))
        uid = await self.d.user_id_by_address(f"{parts[0]}@{parts[1]}") if parts else None
        user = await self.d.user_by_id(uid) if uid else None
        try:
            if user is None or not user.password_hash:
                # the same argon2 work as a wrong password: no user enumeration by timing
                await self.gate.run(request.remote_ip, _verify_dummy, request.password)
                return bad
            if not self.auth_cache.hit(user.id, user.password_hash, request.password):
                if not await self.gate.run(request.remote_ip, _verify, user.password_hash, request.password):
                    return bad
                self.auth_cache.add(user.id, user.password_hash, request.password)
        except OverloadedError:
            raise Fail(er.ERROR_REASON_BACKEND_UNAVAILABLE, "too many logins waiting for a password check") from None
        dom = await self.d.domain(user.address.rpartition("@")[2])
        if not user.enabled or dom is None or not dom.enabled:
            return directory_pb.AuthenticateResponse(ok=False, reason="disabled")
        used, _ = await self.d.used(user.id)
        return directory_pb.AuthenticateResponse(ok=True, user=self.d.public(user, used))

    async def ResolveRecipients(
        self, request: directory_pb.ResolveRecipientsRequest, context: Any
    ) -> directory_pb.ResolveRecipientsResponse:
        if len(request.addresses) > 1000:
            raise invalid("more than 1000 addresses")
        out = directory_pb.ResolveRecipientsResponse()
        for addr in request.addresses:
            out.results.append(await self._resolve(addr))
        return out

    async def _resolve(self, addr: str) -> directory_pb.Resolution:
        R = directory_pb.Resolution  # noqa: N806
        res = R(address=addr)
        parts = v.split_address(addr)
        if parts is None:
            res.status = R.STATUS_INVALID
            return res
        local, domain = parts
        canon = await self.d.canonical_domain(domain)
        if canon is None:
            res.status = R.STATUS_NOT_LOCAL
            return res
        dom = await self.d.domain(canon)
        if dom is None:
            res.status = R.STATUS_NOT_LOCAL
            return res
        if not dom.enabled:
            res.status = R.STATUS_DISABLED
            return res
        res.inbound.CopyFrom(dom.inbound)  # the SMTP pod's per-domain trust policy (issue 15)
        candidates = [f"{local}@{canon}"]
        if "+" in local and not local.startswith("+"):
            candidates.append(f"{local.split('+', 1)[0]}@{canon}")
        for cand in candidates:
            uid = await self.d.user_id_by_address(cand)
            user = await self.d.user_by_id(uid) if uid else None
            if user is not None:
                return self._local(res, user)
        if dom.catch_all:
            uid = await self.d.user_id_by_address(dom.catch_all)
            user = await self.d.user_by_id(uid) if uid else None
            if user is not None:
                return self._local(res, user)
            if await self.d.canonical_domain(dom.catch_all.rpartition("@")[2]) is None:
                res.status = R.STATUS_LOCAL
                res.forward_to.append(dom.catch_all)
                return res
        res.status = R.STATUS_UNKNOWN_USER
        return res

    @staticmethod
    def _local(res: directory_pb.Resolution, user: directory_pb.User) -> directory_pb.Resolution:
        if not user.enabled:
            res.status = directory_pb.Resolution.STATUS_DISABLED
            return res
        res.status = directory_pb.Resolution.STATUS_LOCAL
        res.user_ids.append(user.id)
        res.forward_to.extend(user.forward_to)
        return res
