"""Shared setup for the metadata benchmarks: redis-server, moto S3, the service in-process."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import MetadataHandle, _start_metadata, _stop_metadata
from tests.fixtures.servers import RedisServer, S3Server


@contextmanager
def metadata_world(appendfsync: str = "everysec", blob: str = "s3") -> Iterator[MetadataHandle]:
    """A private redis-server (AOF, fsync `appendfsync`) + moto S3 (or a local blob
    directory when blob="fs") + the metadata service."""
    tmp = Path(tempfile.mkdtemp(prefix="kubemail-bench-"))
    redis = RedisServer(tmp / "redis", extra=["--appendfsync", appendfsync]).start()
    s3 = S3Server().start()
    blob_env = (
        s3.env(f"b{uuid.uuid4().hex[:12]}")
        if blob == "s3"
        else {"KUBEMAIL_BLOB_BACKEND": "fs", "KUBEMAIL_BLOB_DIR": str(tmp / "blobs")}
    )
    handle = _start_metadata(
        {
            **blob_env,
            "KUBEMAIL_REDIS_URL": redis.url,
            "KUBEMAIL_METRICS_PORT": "0",
            "KUBEMAIL_METADATA_GC_INTERVAL_SECONDS": "0",
            # the metadata settings of this process's environment, to measure one against another
            **{k: v for k, v in os.environ.items() if k.startswith("KUBEMAIL_METADATA_")},
        }
    )
    try:
        yield handle
    finally:
        _stop_metadata(handle)
        s3.stop()
        redis.stop()
