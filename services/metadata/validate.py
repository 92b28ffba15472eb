"""Input validation: mailbox names, flags, UID ranges, ids and addresses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata.errors import invalid

MAX_NAME_BYTES = 512
MAX_NAME_DEPTH = 32
MAX_FLAGS = 64
MAX_FLAG_LEN = 128
MAX_ADDRESS = 320
_USER_ID = re.compile(r"^[0-9a-f]{8,64}$")
_MAILBOX_ID = re.compile(r"^[0-9]{1,12}$")
_BLOB_ID = re.compile(r"^[0-9a-f]{64}$")
# IMAP atom characters minus the list/quote specials; system flags start with one backslash.
_FLAG = re.compile(r"^\\?[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|~\x7f-\U0010ffff]+$")
_SYSTEM_FLAGS = {f.lower(): f for f in ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?$")


def mailbox_name(name: str | bytes) -> str:
    """The canonical form of a mailbox name ("INBOX" upper-cased) or INVALID_ARGUMENT."""
    if isinstance(name, bytes):
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("mailbox name is not valid UTF-8") from None
    if not name:
        raise invalid("empty mailbox name")
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid("mailbox name is not valid UTF-8") from None
    if len(raw) > MAX_NAME_BYTES:
        raise invalid(f"mailbox name longer than {MAX_NAME_BYTES} octets")
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0x80 <= ord(c) < 0xA0 for c in name):
        raise invalid("mailbox name contains control characters")
    if name.startswith("/") or name.endswith("/") or "//" in name:
        raise invalid("mailbox name has an empty hierarchy level")
    parts = name.split("/")
    if len(parts) > MAX_NAME_DEPTH:
        raise invalid("mailbox name nests too deep")
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    return "/".join(parts)


def flags(values: Iterable[str]) -> list[str]:
    """Canonical flags (system flags capitalised), de-duplicated, order kept."""
    out: list[str] = []
    seen: set[str] = set()
    for v in values:
        if len(v) > MAX_FLAG_LEN or not _FLAG.match(v):
            raise invalid(f"invalid flag {v[:40]!r}")
        if v.startswith("\\"):
            canon = _SYSTEM_FLAGS.get(v.lower())
            if canon is None:
                if v.lower() == "\\recent":
                    raise invalid("\\Recent cannot be stored")
                raise invalid(f"unknown system flag {v[:40]!r}")
            v = canon
        if v not in seen:
            seen.add(v)
            out.append(v)
    if len(out) > MAX_FLAGS:
        raise invalid(f"more than {MAX_FLAGS} flags")
    return out


def uid_ranges(ranges: Sequence[types_pb.UidRange], max_ranges: int, required: bool = True) -> list[int]:
    """Flat [lo, hi, lo, hi, ...] (0 = "*") for the Lua scripts, or INVALID_ARGUMENT."""
    if required and not ranges:
        raise invalid("empty UID set")
    if len(ranges) > max_ranges:
        raise invalid(f"more than {max_ranges} UID ranges")
    flat: list[int] = []
    for r in ranges:
        if r.lo == 0 and r.hi != 0:
            raise invalid("bad UID set: UID 0 (use hi=0 for '*')")
        flat += [r.lo, r.hi]
    return flat


def in_ranges(uid: int, flat: Sequence[int], max_uid: int) -> bool:
    for i in range(0, len(flat), 2):
        lo, hi = flat[i] or max_uid, flat[i + 1] or max_uid
        if lo > hi:
            lo, hi = hi, lo
        if lo <= uid <= hi:
            return True
    return False


def user_id(value: str) -> str:
    if not value:
        raise invalid("user_id is required")
    if not _USER_ID.match(value):
        raise invalid("malformed user_id")
    return value


def mailbox_id(value: str) -> str:
    if not value:
        raise invalid("mailbox_id is required")
    if not _MAILBOX_ID.match(value):
        raise invalid("malformed mailbox_id")
    return value


def blob_id(value: str) -> str:
    if not _BLOB_ID.match(value):
        raise invalid("blob_id must be 64 lower-case hex digits (sha256)")
    return value


def domain_name(value: str) -> str:
    d = value.strip().lower().rstrip(".")
    if not d or not _DOMAIN.match(d):
        raise invalid(f"invalid domain name {value[:80]!r}")
    return d


def split_address(value: str) -> tuple[str, str] | None:
    """(local, domain) with the domain lower-cased, or None when unacceptable."""
    if not value or len(value) > MAX_ADDRESS or "@" not in value:
        return None
    local, _, dom = value.rpartition("@")
    if not local or not dom or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        return None
    dom = dom.lower().rstrip(".")
    if not _DOMAIN.match(dom):
        return None
    return local, dom


def address(value: str) -> str:
    parts = split_address(value)
    if parts is None:
        raise invalid(f"invalid address {value[:80]!r}")
    return f"{parts[0]}@{parts[1]}"


def address_key(value: str) -> str:
    """The directory lookup form of an address: all lower-case."""
    return value.lower()
