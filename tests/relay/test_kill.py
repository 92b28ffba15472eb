"""kill -9 of a relay process in the middle of a transaction: the entry's lease expires, another
relay leases it again and delivers. Nothing is lost; the transaction in flight may arrive twice
(the remote may have taken it before the relay died: at-least-once, RFC 5321 6.1)."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.fixtures.servers import ServiceProcess
from tests.fixtures.smtpsink import Behaviour
from tests.relay.conftest import RelayWorld, message


def test_kill_9_mid_transaction_loses_nothing(make_relay_world: Any, tmp_path: Path) -> None:
    slow = Behaviour(data_delay=3.0)
    w: RelayWorld = make_relay_world({"127.0.0.2": slow, "127.0.0.3": Behaviour()})
    env = {**w.env, "KUBEMAIL_RELAY_LEASE_SECONDS": "3", "KUBEMAIL_METRICS_PORT": "9100"}
    first = ServiceProcess("relay", env, tmp_path, log=tmp_path / "relay1.log").start()
    w.submit(["bob@remote.test", "carol@other.test"], message("killed"))
    assert w.sink.data_started.wait(20), "the first relay never reached DATA"
    first.kill()  # SIGKILL while the remote holds the end of DATA
    slow.data_delay = 0.0
    second = ServiceProcess("relay", env, tmp_path, log=tmp_path / "relay2.log").start()
    try:
        w.wait_queue_empty(timeout=30)
        time.sleep(3.5)  # a first copy still held by the sink's handler is recorded by now
        to_bob = [r for r in w.sink.received if r.rcpt_to == ["bob@remote.test"]]
        assert 1 <= len(to_bob) <= 2  # delivered; at most the in-flight transaction twice
        assert len({r.data for r in to_bob}) == 1
        assert w.sink.connections.count("127.0.0.2") >= 2  # the second relay delivered it again
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{second.ports['metrics']}/metrics", timeout=5).read()
        assert b'kubemail_relay_deliveries_total{result="delivered"}' in metrics
        assert w.inbox() == []  # no bounce
    finally:
        second.stop()
