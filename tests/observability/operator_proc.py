"""The operator as a scrape target: the real kopf runtime against kmock's Kubernetes emulator.

    python -m tests.observability.operator_proc METADATA_ADDR

There is no cluster in tests, so this process runs kmock's emulator (the operator tests'
Emulator), the operator's own `runner.run` (what `python -m kubemail_operator` runs) logged in
to it, the same /metrics endpoint (services.common.httpserver) on a port the kernel chose, and
creates one MailDomain so that a reconciliation happens. Prints "ready <port>" when scrapeable;
stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid

import kmock
from kubemail_operator import DOMAINS

from services.common import httpserver
from tests.operator.conftest import Emulator, OperatorThread, _declare, create, operator_env


async def main(metadata_addr: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Emulator() as k8s, kmock.Server(k8s):
        _declare(k8s)
        k8s.objects["kopf.dev/v1/clusterkopfpeerings", None, "kubemail"] = {
            "apiVersion": "kopf.dev/v1",
            "kind": "ClusterKopfPeering",
            "metadata": {"name": "kubemail", "uid": str(uuid.uuid4()), "resourceVersion": "1"},
            "status": {},
        }
        env = operator_env({"KUBEMAIL_METADATA_ADDR": metadata_addr, "KUBEMAIL_METRICS_PORT": "0"})
        op = await OperatorThread(str(k8s.url), env).start()
        endpoint = httpserver.start("127.0.0.1", 0, op.ready_flag.is_set)
        try:
            await create(k8s, DOMAINS, "operator-obs", {"domain": "operator.obs.test"})
            print(f"ready {endpoint.port}", flush=True)
            await stop.wait()
        finally:
            endpoint.stop()
            await op.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
