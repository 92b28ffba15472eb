"""`python -m kubemail_operator`: the operator with /metrics, /healthz and /readyz."""

from __future__ import annotations

import asyncio
import logging
import threading

from kubemail_operator.config import OperatorConfig
from kubemail_operator.runner import run
from services.common import config as cfg
from services.common import httpserver, logs
from services.common.config import CommonConfig


def main() -> None:
    common = cfg.load(CommonConfig)
    config = cfg.load(OperatorConfig)
    logs.setup(common.log_level, common.log_format)
    ready = threading.Event()
    endpoint = None
    if common.metrics_port:
        endpoint = httpserver.start(common.metrics_host, common.metrics_port, ready.is_set)
    logging.getLogger("kubemail.operator").info(
        "starting: namespaces=%s peering=%s",
        ",".join(config.namespaces) or "(all)",
        "standalone" if config.standalone else config.peering_name,
    )
    try:
        asyncio.run(run(config, common, ready_flag=ready))  # kopf handles SIGTERM/SIGINT gracefully
    finally:
        if endpoint is not None:
            endpoint.stop()


if __name__ == "__main__":
    main()
