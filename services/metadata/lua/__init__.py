"""The Lua scripts (``*.lua`` next to this module): every per-user write is one script on the
user's hash slot. Loaded once, at import, from the package (package data in the wheel and the
image). The key layout they share with Python is documented in services.metadata.keys.

Per-user scripts are ``prelude.lua`` + their includes + their body; KEYS[1] is always a key of
the user (for cluster routing) and ARGV[1] is the user's prefix P. They return a JSON string:
``{"err": <ErrorReason name>, "msg": text}`` (services.metadata.errors.from_token) or a result.

The outbound queue's scripts (``outbound_*``) are ``ob_common.lua`` + their body; ARGV[1] is the
queue's prefix T ("{outbound}:", one hash slot) and KEYS[1] a key of the queue.
"""

from __future__ import annotations

from importlib import resources

MAX_KEYWORDS = 1000  # per mailbox; beyond it STORE/APPEND/COPY of a new keyword fail, Deliver drops it

_USER = (
    "deliver", "store", "expunge", "copy", "init_user", "create", "delete", "purge", "rename",
    "claim_recent", "maildrop", "fetch_meta", "list_uids", "search_set", "device_put", "mbx_get", "get_changes",
    "meta_set", "acl_set", "copy_in", "append_many", "select",
)  # fmt: skip
_PLAIN = (
    "blob_incr", "blob_decr", "blob_settle", "blob_mark", "blob_done", "blob_sweep", "limit_hit", "backoff",
)  # fmt: skip
_OUTBOUND = ("outbound_add", "outbound_lease", "outbound_done", "outbound_stats")
_INCLUDES = {
    "delete": ("mb_delete",),
    "purge": ("mb_delete",),
    "deliver": ("object_ids",),
    "append_many": ("object_ids",),
    "mbx_get": ("mbx_read",),
    "select": ("mbx_read",),
}


def source(name: str) -> str:
    """The text of ``<name>.lua``."""
    return (resources.files(__name__) / f"{name}.lua").read_text(encoding="utf-8")


PRELUDE = source("prelude").replace("__MAX_KEYWORDS__", str(MAX_KEYWORDS))

# name -> script body (per-user: without the prelude, which Store prepends)
USER_SCRIPTS: dict[str, str] = {
    name: "".join(source(i) for i in _INCLUDES.get(name, ())) + source(name) for name in _USER
}
PLAIN_SCRIPTS: dict[str, str] = {name: source(name) for name in _PLAIN} | {
    name: source("ob_common") + source(name) for name in _OUTBOUND
}
