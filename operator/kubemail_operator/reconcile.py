"""Reconciliation of MailDomain and MailUser resources into the metadata service.

Every function is idempotent: it reads the actual record, writes only what differs, and can
run from a create/update/resume handler, the drift-repair timer or a Secret change alike.
Failures are classified once, in `guarded`: invalid specs and rejected writes are permanent
(kopf.PermanentError), an unreachable metadata service or Kubernetes API is temporary
(kopf.TemporaryError with exponential backoff); each sets the Ready condition and posts an Event.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

import grpc
import kopf

from kubemail_operator import conditions, desired, dkim, dnsrecords, kube, metrics, patterns
from kubemail_operator.context import Context
from services.common.grpcclient import MetadataClient, reason_of
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er

logger = logging.getLogger("kubemail.operator")

StatusSink = Callable[[dict[str, Any]], None]
Event = tuple[str, str] | None
Work = Callable[[], Awaitable[tuple[dict[str, Any], Event]]]

# metadata failure reasons worth retrying (docs/decisions/0007-error-model.md); any other is a
# refusal of the spec. UNSPECIFIED: no reason at all (cancelled, a proxy's error, ...).
TRANSIENT = {
    er.ERROR_REASON_UNSPECIFIED,
    er.ERROR_REASON_BACKEND_UNAVAILABLE,
    er.ERROR_REASON_TIMEOUT,
    er.ERROR_REASON_BLOB_COLLECTING,
    er.ERROR_REASON_INTERNAL,
    er.ERROR_REASON_UNIMPLEMENTED,
}
NOT_FOUND = {er.ERROR_REASON_NO_SUCH_DOMAIN, er.ERROR_REASON_NO_SUCH_USER}
MAX_PASSWORD = 1024
MANAGED_BY = {"app.kubernetes.io/managed-by": "kubemail-operator"}


class Rejected(Exception):  # noqa: N818 (a reconciliation outcome)
    """Cannot be applied as written; retrying the same spec will not help."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Waiting(Exception):  # noqa: N818 (a reconciliation outcome)
    """Not yet possible (a dependency is missing or busy); retried after `delay` seconds."""

    def __init__(self, reason: str, message: str, delay: float) -> None:
        super().__init__(message)
        self.reason = reason
        self.delay = delay


def backoff(ctx: Context, retry: int) -> float:
    return float(min(ctx.config.backoff_max_seconds, 2.0 ** min(retry, 16)))


def changes(old_status: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level status fields of `new` that differ from `old_status` (None removes a field).

    A resync that changes nothing patches nothing: no write to the API server, no new
    resourceVersion, no watch event for every other client.
    """
    return {k: v for k, v in new.items() if old_status.get(k) != v and not (v is None and k not in old_status)}


async def guarded(
    ctx: Context,
    kind: str,
    body: Mapping[str, Any],
    sink: StatusSink,
    retry: int,
    work: Work,
) -> None:
    """Runs one reconciliation: metrics, Ready condition, Events, kopf error classes."""
    old_status = body.get("status") or {}
    generation = (body.get("metadata") or {}).get("generation")

    def fail(reason: str, message: str) -> None:
        changed = changes(old_status, conditions.ready(old_status, False, reason, message, generation))
        if changed:
            sink(changed)
        kopf.warn(cast(Any, body), reason=reason, message=message)

    with metrics.observe(kind):
        try:
            extra, event = await work()
        except desired.InvalidSpec as exc:
            fail("InvalidSpec", str(exc))
            raise kopf.PermanentError(str(exc)) from None
        except Rejected as exc:
            fail(exc.reason, str(exc))
            raise kopf.PermanentError(str(exc)) from None
        except Waiting as exc:
            fail(exc.reason, str(exc))
            raise kopf.TemporaryError(str(exc), delay=exc.delay) from None
        except grpc.aio.AioRpcError as exc:
            reason = reason_of(exc)
            message = f"metadata service: {er.ErrorReason.Name(reason)}: {exc.details() or ''}".strip()  # type: ignore[arg-type]
            if reason in TRANSIENT:
                fail("MetadataUnavailable", message)
                raise kopf.TemporaryError(message, delay=backoff(ctx, retry)) from None
            fail("MetadataRejected", message)
            raise kopf.PermanentError(message) from None
        except kube.APIError as exc:
            message = f"Kubernetes API: {exc}"
            fail("KubernetesAPIError", message)
            raise kopf.TemporaryError(message, delay=backoff(ctx, retry)) from None
        ok = conditions.ready(old_status, True, "Reconciled", "applied to the metadata service", generation)
        changed = changes(old_status, {**extra, **ok})
        if changed:
            sink(changed)
        if event is not None:
            kopf.info(cast(Any, body), reason=event[0], message=event[1])


def _not_found(exc: grpc.aio.AioRpcError) -> bool:
    return reason_of(exc) in NOT_FOUND


async def get_domain(client: MetadataClient, name: str) -> directory_pb.Domain | None:
    try:
        return (await client.directory.GetDomain(directory_pb.GetDomainRequest(name=name))).domain  # type: ignore[no-any-return]
    except grpc.aio.AioRpcError as exc:
        if _not_found(exc):
            return None
        raise


async def get_user(client: MetadataClient, address: str) -> directory_pb.User | None:
    try:
        return (await client.directory.GetUser(directory_pb.GetUserRequest(address=address))).user  # type: ignore[no-any-return]
    except grpc.aio.AioRpcError as exc:
        if _not_found(exc):
            return None
        raise


# --------------------------------------------------------------------------------------
# MailDomain
# --------------------------------------------------------------------------------------


def domain_owner(domain_owners: Mapping[Any, Any], domain: str) -> tuple[str, str] | None:
    """The MailDomain (namespace, name) that owns `domain`: the oldest one declaring it."""
    if domain not in domain_owners:
        return None
    entries = sorted((e["created"] or "", e["namespace"], e["name"]) for e in domain_owners[domain])
    return (entries[0][1], entries[0][2]) if entries else None


async def ensure_dkim(
    ctx: Context, body: Mapping[str, Any], domain: str, selector: str
) -> tuple[dict[str, Any], bytes]:
    """The DKIM Secret <name>-dkim (created with a new RSA-2048 key if missing): the status
    (its DNS record) and the private key."""
    meta = body["metadata"]
    namespace, secret_name = meta["namespace"], f"{meta['name']}-dkim"
    secret = await kube.read_secret(ctx.settings, namespace, secret_name)
    if secret is None:
        pem = await asyncio.to_thread(dkim.generate_private_pem)
        new: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": secret_name, "labels": {**MANAGED_BY, "kubemail.io/domain": domain}},
            "data": {
                dkim.PRIVATE_KEY: base64.b64encode(pem).decode(),
                dkim.PUBLIC_KEY: base64.b64encode(dkim.public_pem(pem)).decode(),
            },
        }
        kopf.adopt(new, owner=cast(Any, dict(body)))
        secret = await kube.create_secret(ctx.settings, new)
        if secret is None:  # created concurrently: use that one
            secret = await kube.read_secret(ctx.settings, namespace, secret_name)
        else:
            message = f"generated an RSA-{dkim.KEY_BITS} DKIM key in Secret {secret_name}"
            kopf.info(cast(Any, dict(body)), reason="DkimKeyCreated", message=message)
        if secret is None:
            raise Waiting("DkimSecretMissing", f"Secret {secret_name} vanished while being created", 2)
    pem_value = kube.secret_value(secret, dkim.PRIVATE_KEY)
    if not pem_value:
        raise Rejected("DkimSecretInvalid", f"Secret {secret_name} has no {dkim.PRIVATE_KEY}")
    try:
        txt = dkim.txt_value(pem_value)
    except dkim.DkimKeyError as exc:
        raise Rejected("DkimSecretInvalid", f"Secret {secret_name}: {exc}") from None
    status = {
        "selector": selector,
        "secretName": secret_name,
        "recordName": dkim.record_name(selector, domain),
        "txtValue": txt,
    }
    return status, pem_value


async def publish_dkim_key(ctx: Context, domain: str, selector: str, pem: bytes | None) -> None:
    """Keeps the relay's signing-key Secret in step: exactly `selector`'s key for `domain`, or
    none when `pem` is None (DKIM off, domain deleted). Writes only when something differs."""
    name, namespace = ctx.config.dkim_keys_secret, ctx.config.dkim_keys_namespace
    if not name or not namespace:
        return
    want = {dkim.key_file_name(selector, domain): base64.b64encode(pem).decode()} if pem is not None else {}
    secret = await kube.read_secret(ctx.settings, namespace, name)
    if secret is None:
        if not want:
            return
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)},
            "data": want,
        }
        if await kube.create_secret(ctx.settings, body) is not None:
            return
        secret = await kube.read_secret(ctx.settings, namespace, name)
        if secret is None:
            raise Waiting("DkimKeysSecretMissing", f"Secret {namespace}/{name} vanished while being created", 2)
    have = {k: v for k, v in (secret.get("data") or {}).items() if dkim.key_file_domain(k) == domain}
    change: dict[str, str | None] = {k: None for k in have if k not in want}
    change.update({k: v for k, v in want.items() if have.get(k) != v})
    if change:
        await kube.patch_secret_data(ctx.settings, namespace, name, change)


async def apply_domain(
    ctx: Context, body: Mapping[str, Any], spec: Mapping[str, Any], domain_owners: Mapping[Any, Any]
) -> tuple[dict[str, Any], Event]:
    meta = body["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    want = desired.domain(spec)
    recorded = (body.get("status") or {}).get("domain")
    if recorded and recorded != want.name:
        raise Rejected("DomainImmutable", f"spec.domain cannot change from {recorded} to {want.name}")
    owner = domain_owner(domain_owners, want.name)
    if owner is not None and owner != (namespace, name):
        raise Rejected("DomainConflict", f"domain {want.name} is already served by MailDomain {owner[0]}/{owner[1]}")
    extra: dict[str, Any] = {"domain": want.name}
    event: Event = None
    if want.dkim_selector:
        extra["dkim"], pem = await ensure_dkim(ctx, body, want.name, want.dkim_selector)
        await publish_dkim_key(ctx, want.name, want.dkim_selector, pem)
    else:
        await publish_dkim_key(ctx, want.name, "", None)
    if ctx.published is not None:
        dkim_record = (extra["dkim"]["recordName"], extra["dkim"]["txtValue"]) if "dkim" in extra else None
        extra["dnsRecords"] = dnsrecords.records(want.name, ctx.published, dkim_record)
    client = ctx.metadata()
    actual = await get_domain(client, want.name)
    if actual is None:
        await client.directory.UpsertDomain(directory_pb.UpsertDomainRequest(domain=want))
        what = "created" if not recorded else "restored (it was missing)"
        event = ("Created" if not recorded else "DriftRepaired", f"domain {want.name} {what} in the metadata service")
    elif desired.domain_differs(actual, want):
        await client.directory.UpsertDomain(directory_pb.UpsertDomainRequest(domain=want))
        event = ("Updated", f"domain {want.name} updated in the metadata service")
    return extra, event


async def delete_domain(
    ctx: Context,
    body: Mapping[str, Any],
    spec: Mapping[str, Any],
    domain_owners: Mapping[Any, Any],
    users_by_domain: Mapping[Any, Any],
) -> tuple[dict[str, Any], Event]:
    meta = body["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    try:
        domain = (body.get("status") or {}).get("domain") or desired.domain_name(spec)
    except desired.InvalidSpec:
        return {}, None  # never applied
    owner = domain_owner(domain_owners, domain)
    if owner is not None and owner != (namespace, name):
        return {}, None  # a conflicting duplicate: the domain belongs to another MailDomain
    users = list(users_by_domain.get((namespace, domain), []))
    if users:
        shown = ", ".join(sorted(users)[:5])
        raise Waiting("UsersRemaining", f"waiting for {len(users)} MailUser(s) of {domain} to go: {shown}", 3)
    try:
        await ctx.metadata().directory.DeleteDomain(directory_pb.DeleteDomainRequest(name=domain))
    except grpc.aio.AioRpcError as exc:
        if reason_of(exc) == er.ERROR_REASON_DOMAIN_NOT_EMPTY:
            raise Waiting("UsersRemaining", f"the metadata service still has users in {domain}", 3) from None
        if not _not_found(exc):
            raise
    await publish_dkim_key(ctx, domain, "", None)
    return {}, ("Deleted", f"domain {domain} deleted from the metadata service")


# --------------------------------------------------------------------------------------
# MailUser
# --------------------------------------------------------------------------------------


def secret_source(secret: Mapping[str, Any], key: str) -> str:
    """Which version of which Secret key a password came from: `<uid>/<resourceVersion>/<key>`.

    Recorded in status.passwordSource: a restarted operator that finds the same source (and a
    stored password) skips the argon2 hash instead of re-hashing every user at once. It names
    a version, never the password; any write to the Secret changes it.
    """
    meta = secret.get("metadata") or {}
    return f"{meta.get('uid') or ''}/{meta.get('resourceVersion') or ''}/{key}"


async def _password(
    ctx: Context, namespace: str, spec: Mapping[str, Any], secret: Mapping[str, Any] | None
) -> tuple[bytes, str] | None:
    """The password and its source (see `secret_source`), or None without passwordSecretRef."""
    ref = desired.password_ref(spec)
    if ref is None:
        return None
    secret_name, key = ref
    if secret is None:
        secret = await kube.read_secret(ctx.settings, namespace, secret_name)
    if secret is None:
        raise Waiting("SecretNotFound", f"password Secret {secret_name} does not exist", 30)
    value = kube.secret_value(dict(secret), key)
    if not value:
        raise Rejected("SecretKeyMissing", f"password Secret {secret_name} has no (non-empty) key {key!r}")
    if len(value) > MAX_PASSWORD:
        raise Rejected("PasswordTooLong", f"the password in Secret {secret_name} exceeds {MAX_PASSWORD} bytes")
    return value, secret_source(secret, key)


async def apply_user(
    ctx: Context,
    body: Mapping[str, Any],
    spec: Mapping[str, Any],
    domains: Mapping[Any, Any],
    secret: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], Event]:
    meta = body["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    want = desired.user(spec)
    recorded = (body.get("status") or {}).get("address")
    if recorded and recorded != want.address:
        raise Rejected("AddressImmutable", f"spec.address cannot change from {recorded} to {want.address}")
    domain = patterns.domain_of(want.address)
    if (namespace, domain) not in domains:
        raise Rejected("DomainNotFound", f"no MailDomain for {domain} in namespace {namespace}")
    client = ctx.metadata()
    if await get_domain(client, domain) is None:
        raise Waiting("DomainNotReady", f"domain {domain} is not in the metadata service yet", 2)
    found = await _password(ctx, namespace, spec, secret)
    password, source = found if found is not None else (None, None)
    actual = await get_user(client, want.address)
    fingerprint = ctx.fingerprint(namespace, name, password) if password is not None else None
    # The stored hash is current when this process applied the same password, or (after a
    # restart) when status records the very Secret version it was hashed from.
    current = (
        actual is not None
        and actual.has_password
        and (
            ctx.applied_passwords.get((namespace, name)) == fingerprint
            or (source is not None and (body.get("status") or {}).get("passwordSource") == source)
        )
    )
    new_password = password is not None and not current
    if new_password and password is not None:
        want.password_hash = await ctx.hash_password(password)
    # passwordSecretRef removed (or never set) while the store has a password: clear it
    clear = password is None and actual is not None and actual.has_password
    event: Event = None
    user_id = actual.id if actual is not None else ""
    if actual is None or new_password or clear or desired.user_differs(actual, want):
        stored = (
            await client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=want, clear_password=clear))
        ).user
        user_id = stored.id or user_id
        if actual is None:
            kind = "DriftRepaired" if recorded else "Created"
            event = (kind, f"user {want.address} {'restored' if recorded else 'created'} in the metadata service")
        elif new_password and not desired.user_differs(actual, want):
            event = ("PasswordChanged", f"password of {want.address} updated from its Secret")
        elif clear and not desired.user_differs(actual, want):
            event = ("PasswordCleared", f"password of {want.address} removed: no passwordSecretRef")
        else:
            event = ("Updated", f"user {want.address} updated in the metadata service")
    if fingerprint is not None:
        ctx.applied_passwords[(namespace, name)] = fingerprint
    else:
        ctx.applied_passwords.pop((namespace, name), None)
    devices = await device_status(client, user_id, set(want.wipe_devices)) if user_id else []
    status = {"userId": user_id, "address": want.address, "passwordSource": source, "devices": devices or None}
    return status, event


def _time(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def device_status(client: MetadataClient, user_id: str, wipe: set[str]) -> list[dict[str, Any]]:
    """status.devices: each ActiveSync device of the user, with the wipe state of those listed in
    spec.remoteWipe (Acknowledged once the device confirmed it wiped itself)."""
    listed = (await client.devices.ListDevices(devices_pb.ListDevicesRequest(user_id=user_id))).devices
    out: list[dict[str, Any]] = []
    for d in listed:
        entry: dict[str, Any] = {"deviceId": d.device_id, "deviceType": d.device_type}  # no last-seen: no churn
        if d.info.model:
            entry["model"] = d.info.model
        if d.device_id in wipe:
            entry["wipe"] = "Acknowledged" if d.wipe_acknowledged else "Pending"
        if d.wipe_acknowledged:
            entry["wipeAcknowledged"] = _time(d.wipe_acknowledged)
        out.append(entry)
    return out


async def delete_user(ctx: Context, body: Mapping[str, Any], spec: Mapping[str, Any]) -> tuple[dict[str, Any], Event]:
    meta = body["metadata"]
    try:
        address = (body.get("status") or {}).get("address") or desired.user_address(spec)
        purge = desired.deletion_purges(spec)
    except desired.InvalidSpec:
        return {}, None  # never applied
    removed = 0
    try:
        resp = await ctx.metadata().directory.DeleteUser(
            directory_pb.DeleteUserRequest(address=address, purge_mail=purge)
        )
        removed = resp.messages_removed
    except grpc.aio.AioRpcError as exc:
        if not _not_found(exc):
            raise
    ctx.applied_passwords.pop((meta["namespace"], meta["name"]), None)
    what = f"mail purged ({removed} messages)" if purge else "mail retained"
    return {}, ("Deleted", f"user {address} deleted from the metadata service; {what}")
