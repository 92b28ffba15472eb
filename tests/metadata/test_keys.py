"""Key names are built in services/metadata/keys.py only; the Lua scripts ship as package data."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from services.metadata import keys, lua, store
from tests.fixtures import pyast

ROOT = Path(__file__).resolve().parents[2]
METADATA = ROOT / "services" / "metadata"
PREFIXES = ("{u:", "{b:", "{l:", "{outbound}", "dom:", "domalias:", "user:", "addr:", "users", "gc:")


def test_key_names_only_in_keys_module() -> None:
    found = []
    for path in sorted(METADATA.rglob("*.py")):
        if path.name == "keys.py":
            continue
        for node in ast.walk(pyast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(PREFIXES):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "build key names with services.metadata.keys:\n" + "\n".join(found)


def test_user_keys_share_one_hash_tag() -> None:
    k = keys.user("abc")
    names = [k.mbx, k.subs, k.quota, k.events, k.mailbox("1"), k.uids("1"), k.keywords("1"), k.message("1", 7)]
    assert all(n.startswith("{u:abc}:") for n in names)
    assert k.message("1", 7) == "{u:abc}:m:1:7" and keys.blob("ff") == "{b:ff}"
    assert keys.outbound_idem("x").startswith(keys.OUTBOUND_TAG)


def test_outbound_keys_share_one_hash_tag() -> None:
    names = [keys.OUTBOUND_SEQ, keys.OUTBOUND_DUE, keys.OUTBOUND_ALL, keys.outbound_idem("k")]
    names += [keys.outbound_entry("7"), keys.outbound_done("7")]
    assert keys.OUTBOUND_TAG == "{outbound}" and all(n.startswith("{outbound}:") for n in names)


def test_every_lua_file_is_loaded_and_packaged() -> None:
    files = {p.stem for p in (METADATA / "lua").glob("*.lua")}
    used = {"prelude", "ob_common", "mb_delete", "object_ids", "mbx_read", *lua.USER_SCRIPTS, *lua.PLAIN_SCRIPTS}
    assert files == used
    assert "__MAX_KEYWORDS__" not in lua.PRELUDE and f"= {lua.MAX_KEYWORDS}" in lua.PRELUDE
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert data["services.metadata.lua"] == ["*.lua"]
    assert "COPY services /app/services" in (ROOT / "Containerfile").read_text()  # the image carries them


def test_every_timed_operation_has_a_precreated_error_series() -> None:
    """Store.timed's literal operation names are all in store.OPS (their kubemail_metadata_redis_
    errors_total series exist at 0 from the start)."""
    root = Path(store.__file__).parent
    used = {m.group(1) for f in root.glob("*.py") for m in re.finditer(r'\.timed\(\s*"([a-z_]+)"', f.read_text())}
    assert used and used <= set(store.OPS), sorted(used - set(store.OPS))
