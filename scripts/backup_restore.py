"""Consistent backup and restore of a kubemail store: Redis (metadata) and an fs blob directory.

    python -m scripts.backup_restore backup DIR  [--redis-url URL] [--blob-dir PATH]
    python -m scripts.backup_restore restore DIR --redis-dir PATH [--blob-dir PATH]

`backup` takes a point-in-time Redis snapshot first (`redis-cli --rdb`: the server forks and
streams an RDB, as a BGSAVE would; it needs no access to the server's disk), then copies the
blobs. Blobs are immutable and content-addressed, and GC deletes one only after it has been
unreferenced for KUBEMAIL_METADATA_GC_GRACE_SECONDS: every blob the snapshot references is
therefore still there when it is copied, provided the backup takes less than the grace period
(the script checks and fails otherwise). Blobs written after the snapshot are copied too and
left out on restore.

`restore` runs with the services stopped and the Redis data directory empty (the Redis server
must not be running). It loads the snapshot into a temporary redis-server, restores the blobs
the snapshot references (every one must be in the backup, or the restore stops before any
metadata is written), then writes the metadata into --redis-dir as an append-only file (AOF,
as the suite and the chart run Redis), so that a redis-server started with `--dir PATH
--appendonly yes` serves exactly the snapshot. The metadata becomes visible only after every
blob it references exists: the order of a consistent restore.

Defaults fit the local suite (`make run`, scripts/suite.py): KUBEMAIL_REDIS_URL and
KUBEMAIL_BLOB_DIR from the environment. S3 blob stores are backed up with the store's own tools
(docs/operations.md); this script handles the fs backend.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import redis

from services.common.blobstore import blob_id_of, check_blob_id, object_key

FORMAT = 1
MANIFEST = "manifest.json"
SNAPSHOT = "redis.rdb"
BLOBS = "blobs"
DEFAULT_GC_GRACE = 3600


class BackupError(RuntimeError):
    """The backup or restore cannot be completed consistently; nothing was left half-done."""


def redis_cli_args(url: str) -> list[str]:
    """redis-cli connection arguments for a redis:// or unix:// URL."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    if parts.scheme == "unix":
        args = ["-s", parts.path]
        db = (query.get("db") or ["0"])[0]
    elif parts.scheme in ("redis", "rediss"):
        args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)]
        if parts.scheme == "rediss":
            args.append("--tls")
        db = parts.path.lstrip("/") or (query.get("db") or ["0"])[0]
    else:
        raise BackupError(f"unsupported Redis URL scheme {parts.scheme!r}")
    if parts.username:
        args += ["--user", urllib.parse.unquote(parts.username)]
    if parts.password:
        args += ["--pass", urllib.parse.unquote(parts.password)]
    return [*args, "-n", db]


def _blob_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(blob id, path) of every blob below an fs blob root (sha256/<2>/<id>)."""
    base = root / "sha256"
    if not base.is_dir():
        return
    for shard in sorted(base.iterdir()):
        if not shard.is_dir():
            continue
        for path in sorted(shard.iterdir()):
            with contextlib.suppress(ValueError):
                yield check_blob_id(path.name), path


def _copy_blob(src: Path, dst: Path) -> None:
    """Copies one blob (temp file, fsync, rename); an existing copy of the same size is kept."""
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def backup(target: Path, redis_url: str, blob_dir: Path, gc_grace: int = DEFAULT_GC_GRACE) -> dict[str, object]:
    if shutil.which("redis-cli") is None:
        raise BackupError("redis-cli is not installed (apt-get install redis-tools)")
    target.mkdir(parents=True, exist_ok=True)
    if (target / MANIFEST).exists():
        raise BackupError(f"{target} already holds a backup")
    started = time.time()
    # 1. metadata: one point-in-time snapshot
    rdb = target / SNAPSHOT
    proc = subprocess.run(
        ["redis-cli", *redis_cli_args(redis_url), "--rdb", str(rdb)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or not rdb.exists() or rdb.stat().st_size == 0:
        raise BackupError(f"redis-cli --rdb failed: {(proc.stderr or proc.stdout).strip()[-500:]}")
    snapshot_at = time.time()
    # 2. blobs, after the snapshot: every blob it references is still there (GC grace)
    count = 0
    for blob_id, path in _blob_files(blob_dir):
        _copy_blob(path, target / BLOBS / object_key(blob_id))
        count += 1
    finished = time.time()
    if finished - started >= gc_grace:
        raise BackupError(
            f"the backup took {finished - started:.0f}s, not less than the GC grace ({gc_grace}s): "
            "blobs the snapshot references may have been deleted before they were copied"
        )
    manifest: dict[str, object] = {
        "format": FORMAT,
        "started": started,
        "snapshot_at": snapshot_at,
        "finished": finished,
        "blobs": count,
        "snapshot_bytes": rdb.stat().st_size,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


@contextlib.contextmanager
def _scratch_redis(data_dir: Path, rdb_name: str) -> Iterator[redis.Redis]:
    """A private redis-server on a Unix socket loading `data_dir/rdb_name`, without AOF."""
    sock_dir = Path(tempfile.mkdtemp(prefix="kubemail-restore-"))
    sock = sock_dir / "redis.sock"
    proc = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--dir", str(data_dir), "--dbfilename", rdb_name, "--appendonly", "no", "--save", "",
         "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    client = redis.Redis(unix_socket_path=str(sock))
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise BackupError(f"redis-server could not load the snapshot: {err.strip()[-500:]}")
            try:
                if client.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline:
                    raise BackupError("redis-server did not load the snapshot within 60s") from None
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(sock_dir, ignore_errors=True)


def _referenced_blobs(client: redis.Redis) -> set[str]:
    """Blob ids with a reference-count key ("{b:<sha>}") in the snapshot."""
    out = set()
    for key in client.scan_iter(match="{b:*}", count=1000):
        blob_id = key.decode()[3:-1]
        with contextlib.suppress(ValueError):
            out.add(check_blob_id(blob_id))
    return out


def _wait_aof_rewrite(client: redis.Redis, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        info = client.info("persistence")
        if (
            info.get("aof_enabled")
            and not info.get("aof_rewrite_in_progress")
            and not info.get("aof_rewrite_scheduled")
        ):
            if info.get("aof_last_bgrewrite_status") != "ok":
                raise BackupError("redis-server could not write the append-only file")
            return
        if time.monotonic() > deadline:
            raise BackupError("the append-only file was not written in time")
        time.sleep(0.05)


def restore(source: Path, redis_dir: Path, blob_dir: Path, verify: bool = True) -> dict[str, object]:
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} holds no complete backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    redis_dir.mkdir(parents=True, exist_ok=True)
    leftovers = [p.name for p in redis_dir.iterdir()]
    if leftovers:
        raise BackupError(f"{redis_dir} is not empty ({', '.join(sorted(leftovers)[:5])}): stop Redis and clear it")
    staged = redis_dir / ".restore.rdb"
    shutil.copyfile(source / SNAPSHOT, staged)
    try:
        with _scratch_redis(redis_dir, staged.name) as client:
            # 1. blobs first: every blob the metadata references, before the metadata is written
            wanted = _referenced_blobs(client)
            missing = []
            for blob_id in sorted(wanted):
                src = source / BLOBS / object_key(blob_id)
                if not src.exists():
                    if int(client.hget("{b:" + blob_id + "}", "refs") or 0) > 0:
                        missing.append(blob_id)
                    continue
                if verify and blob_id_of(src.read_bytes()) != blob_id:
                    raise BackupError(f"blob {blob_id} in the backup is corrupt")
                _copy_blob(src, blob_dir / object_key(blob_id))
            if missing:
                raise BackupError(
                    f"{len(missing)} referenced blobs are not in the backup (e.g. {missing[0]}): "
                    "it took longer than the GC grace, or the blob directory was not the one in use"
                )
            # 2. then the metadata, as the append-only file a redis-server with --appendonly yes loads
            keys = int(client.dbsize())
            client.config_set("appendonly", "yes")
            _wait_aof_rewrite(client)
            client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # SHUTDOWN closes the connection
    finally:
        staged.unlink(missing_ok=True)
    if not any(redis_dir.glob("appendonlydir/*")) and not any(redis_dir.glob("*.aof")):
        raise BackupError(f"no append-only file was written to {redis_dir}")
    return {"blobs": len(wanted), "keys": keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.backup_restore", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup", help="snapshot Redis, then copy the blobs, into DIR")
    b.add_argument("dir", type=Path)
    b.add_argument("--redis-url", default=os.environ.get("KUBEMAIL_REDIS_URL", "redis://127.0.0.1:6380/0"))
    b.add_argument("--blob-dir", type=Path, default=os.environ.get("KUBEMAIL_BLOB_DIR", ".kubemail/blobs"))
    b.add_argument(
        "--gc-grace",
        type=int,
        default=int(os.environ.get("KUBEMAIL_METADATA_GC_GRACE_SECONDS", DEFAULT_GC_GRACE)),
        help="the metadata service's blob GC grace in seconds; the backup must finish within it",
    )
    r = sub.add_parser("restore", help="restore DIR: blobs first, then Redis (services and Redis stopped)")
    r.add_argument("dir", type=Path)
    r.add_argument("--redis-dir", type=Path, required=True, help="Redis data directory (empty; Redis stopped)")
    r.add_argument("--blob-dir", type=Path, default=os.environ.get("KUBEMAIL_BLOB_DIR", ".kubemail/blobs"))
    r.add_argument("--no-verify", action="store_true", help="skip re-hashing every blob")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            result = backup(args.dir, args.redis_url, Path(args.blob_dir), args.gc_grace)
        else:
            result = restore(args.dir, args.redis_dir, Path(args.blob_dir), verify=not args.no_verify)
    except BackupError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"command": args.command, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
