"""Spec -> desired metadata records (pure: no I/O), and comparison with the actual records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubemail_operator import patterns
from kubemail_operator.quantity import QuantityError, parse_bytes
from services.gen.kubemail.v1 import directory_pb2 as directory_pb

UINT32_MAX = 2**32 - 1
DEFAULT_SELECTOR = "kubemail"
DEFAULT_SECRET_KEY = "password"
MAX_LIST = 100


class InvalidSpec(ValueError):  # noqa: N818 (reads as a condition reason)
    """The resource cannot be applied as written (a kopf.PermanentError)."""


def _domain(value: object, field: str) -> str:
    if not isinstance(value, str) or not patterns.is_domain(value.strip().lower().rstrip(".")):
        raise InvalidSpec(f"{field}: {str(value)[:80]!r} is not a domain name")
    return value.strip().lower().rstrip(".")


def _address(value: object, field: str) -> str:
    if not isinstance(value, str) or not patterns.is_address(value.strip()):
        raise InvalidSpec(f"{field}: {str(value)[:80]!r} is not an e-mail address")
    return patterns.canonical_address(value.strip())


def _list(value: object, field: str, limit: int = MAX_LIST) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidSpec(f"{field}: expected a list")
    if len(value) > limit:
        raise InvalidSpec(f"{field}: more than {limit} entries")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _bytes(value: object, field: str, maximum: int = 2**64 - 1) -> int:
    try:
        return parse_bytes(value, field=field, maximum=maximum)
    except QuantityError as exc:
        raise InvalidSpec(str(exc)) from None


def domain_name(spec: Mapping[str, Any]) -> str:
    return _domain(spec.get("domain"), "spec.domain")


def dkim_selector(spec: Mapping[str, Any]) -> str | None:
    """The selector when DKIM is requested (spec.dkim present), else None."""
    dkim = spec.get("dkim")
    if dkim is None:
        return None
    if not isinstance(dkim, Mapping):
        raise InvalidSpec("spec.dkim: expected an object")
    selector = dkim.get("selector") or DEFAULT_SELECTOR
    if not isinstance(selector, str) or not patterns.is_selector(selector):
        raise InvalidSpec(f"spec.dkim.selector: {str(selector)[:80]!r} is not a DNS label")
    return selector


_ACTIONS = {
    "Reject": directory_pb.INBOUND_ACTION_REJECT,
    "Junk": directory_pb.INBOUND_ACTION_JUNK,
    "Deliver": directory_pb.INBOUND_ACTION_DELIVER,
}
_INBOUND_FIELDS = {"dmarcReject": "dmarc_reject", "dmarcQuarantine": "dmarc_quarantine", "localSpoof": "local_spoof"}


def inbound(spec: Mapping[str, Any]) -> directory_pb.InboundPolicy:
    """spec.inbound: per-domain trust actions (issue 15); left out = the server default."""
    raw = spec.get("inbound") or {}
    if not isinstance(raw, Mapping):
        raise InvalidSpec("spec.inbound: expected an object")
    out = directory_pb.InboundPolicy()
    for key, field in _INBOUND_FIELDS.items():
        value = raw.get(key)
        if value is None:
            continue
        if value not in _ACTIONS:
            raise InvalidSpec(f"spec.inbound.{key}: {str(value)[:40]!r} is not Reject, Junk or Deliver")
        setattr(out, field, _ACTIONS[value])
    return out


def domain(spec: Mapping[str, Any]) -> directory_pb.Domain:
    name = domain_name(spec)
    limits = spec.get("limits") or {}
    if not isinstance(limits, Mapping):
        raise InvalidSpec("spec.limits: expected an object")
    max_users = limits.get("maxUsers") or 0
    if isinstance(max_users, bool) or not isinstance(max_users, int) or not 0 <= max_users <= UINT32_MAX:
        raise InvalidSpec("spec.limits.maxUsers: expected an integer 0..4294967295")
    aliases = _unique([_domain(a, "spec.aliases[]") for a in _list(spec.get("aliases"), "spec.aliases")])
    if name in aliases:
        raise InvalidSpec("spec.aliases: a domain cannot be its own alias")
    catch_all = spec.get("catchAll") or ""
    return directory_pb.Domain(
        name=name,
        enabled=bool(spec.get("enabled", True)),
        catch_all=_address(catch_all, "spec.catchAll") if catch_all else "",
        aliases=aliases,
        default_quota_bytes=_bytes(spec.get("defaultQuota"), "spec.defaultQuota"),
        max_users=max_users,
        max_message_bytes=_bytes(limits.get("maxMessageSize"), "spec.limits.maxMessageSize"),
        dkim_selector=dkim_selector(spec) or "",
        inbound=inbound(spec),
    )


def user_address(spec: Mapping[str, Any]) -> str:
    return _address(spec.get("address"), "spec.address")


def password_ref(spec: Mapping[str, Any]) -> tuple[str, str] | None:
    """(secret name, key) of the password, or None."""
    ref = spec.get("passwordSecretRef")
    if ref is None:
        return None
    if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str) or not ref["name"]:
        raise InvalidSpec("spec.passwordSecretRef.name is required")
    key = ref.get("key") or DEFAULT_SECRET_KEY
    if not isinstance(key, str):
        raise InvalidSpec("spec.passwordSecretRef.key: expected a string")
    return ref["name"], key


def deletion_purges(spec: Mapping[str, Any]) -> bool:
    policy = spec.get("deletionPolicy") or "Retain"
    if policy not in ("Retain", "Delete"):
        raise InvalidSpec(f"spec.deletionPolicy: {str(policy)[:40]!r} is not Retain or Delete")
    return bool(policy == "Delete")


def user(spec: Mapping[str, Any]) -> directory_pb.User:
    """The desired user without a password hash (empty hash = unchanged)."""
    address = user_address(spec)
    display = spec.get("displayName") or ""
    if not isinstance(display, str) or len(display) > 256:
        raise InvalidSpec("spec.displayName: expected a string of at most 256 characters")
    aliases = _unique([_address(a, "spec.aliases[]") for a in _list(spec.get("aliases"), "spec.aliases")])
    if address in aliases:
        raise InvalidSpec("spec.aliases: the primary address cannot be its own alias")
    forwards = _unique([_address(a, "spec.forwardTo[]") for a in _list(spec.get("forwardTo"), "spec.forwardTo", 20)])
    wipe = sorted({_device_id(d) for d in _list(spec.get("remoteWipe"), "spec.remoteWipe")})
    return directory_pb.User(
        address=address,
        display_name=display,
        quota_bytes=_bytes(spec.get("quota"), "spec.quota"),
        aliases=aliases,
        forward_to=forwards,
        enabled=bool(spec.get("enabled", True)),
        wipe_devices=wipe,
    )


def _device_id(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not (value.isascii() and value.isprintable()):
        raise InvalidSpec("spec.remoteWipe[]: a device id is 1..128 printable ASCII characters")
    return value


def domain_differs(actual: directory_pb.Domain, desired: directory_pb.Domain) -> bool:
    return (
        actual.enabled != desired.enabled
        or actual.catch_all.lower() != desired.catch_all.lower()
        or sorted(actual.aliases) != sorted(desired.aliases)
        or actual.default_quota_bytes != desired.default_quota_bytes
        or actual.max_users != desired.max_users
        or actual.max_message_bytes != desired.max_message_bytes
        or actual.dkim_selector != desired.dkim_selector
        or actual.inbound != desired.inbound
    )


def user_differs(actual: directory_pb.User, desired: directory_pb.User) -> bool:
    return (
        actual.display_name != desired.display_name
        or actual.quota_bytes != desired.quota_bytes
        or sorted(a.lower() for a in actual.aliases) != sorted(a.lower() for a in desired.aliases)
        or sorted(a.lower() for a in actual.forward_to) != sorted(a.lower() for a in desired.forward_to)
        or actual.enabled != desired.enabled
        or sorted(actual.wipe_devices) != sorted(desired.wipe_devices)
    )
