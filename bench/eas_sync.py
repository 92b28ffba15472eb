"""Exchange ActiveSync: initial Sync of a large INBOX and Ping wake-up latency (issue #16).

kubemail's suite as processes (metadata, smtp, web; redis-server, fs blobs). An INBOX of --messages
messages of 2 KiB is filled by the bulk path (blob put + Deliver), then one device (our WBXML
codec over HTTP) provisions, runs FolderSync and syncs the INBOX from SyncKey 0 with
--window items per Sync (plain-text bodies truncated to 512 bytes, as phones ask) until
MoreAvailable goes away. Then Ping wake-up: the device holds a Ping on INBOX, a message arrives
over SMTP (handled by the smtp process, so the wake-up crosses processes through the metadata
change feed), and the time from the SMTP 250 to the Ping's answer is measured, --pings times.
No peer runs ActiveSync on this machine (grommunio and Z-Push need PHP and a groupware backend),
so the numbers stand alone.

    python -m bench eas_sync      # or: python bench/eas_sync.py --messages 10000
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import smtplib
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._compare import make_message
from bench._reference import ADDRESS, PASSWORD, KubemailStack, kubemail_deliver
from services.web.wbxml.codec import Element, decode, el, encode

P, F, S, B, PG = "Provision", "FolderHierarchy", "AirSync", "AirSyncBase", "Ping"


class Device:
    def __init__(self, port: int, device_id: str = "BENCH0001") -> None:
        self.port, self.device_id = port, device_id
        self.key = 0

    def post(self, cmd: str, body: Element, timeout: float = 120) -> Element:
        url = (
            f"http://127.0.0.1:{self.port}/Microsoft-Server-ActiveSync"
            f"?Cmd={cmd}&User={ADDRESS}&DeviceId={self.device_id}&DeviceType=SmartPhone"
        )
        auth = base64.b64encode(f"{ADDRESS}:{PASSWORD}".encode()).decode()
        headers = {
            "Authorization": f"Basic {auth}",
            "MS-ASProtocolVersion": "16.1",
            "X-MS-PolicyKey": str(self.key),
            "Content-Type": "application/vnd.ms-sync.wbxml",
        }
        req = urllib.request.Request(url, data=encode(body), method="POST", headers=headers)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return decode(resp.read())

    def provision(self) -> None:
        policy = el(P, "Policies", el(P, "Policy", el(P, "PolicyType", "MS-EAS-Provisioning-WBXML")))
        temp = self.post("Provision", el(P, "Provision", policy)).find(P, "Policies").find(P, "Policy")  # type: ignore[union-attr]
        self.key = int(temp.find(P, "PolicyKey").value())  # type: ignore[union-attr]
        ack = el(P, "Policies", el(P, "Policy", el(P, "PolicyType", "MS-EAS-Provisioning-WBXML"),
                                   el(P, "PolicyKey", self.key), el(P, "Status", 1)))  # fmt: skip
        final = self.post("Provision", el(P, "Provision", ack)).find(P, "Policies").find(P, "Policy")  # type: ignore[union-attr]
        self.key = int(final.find(P, "PolicyKey").value())  # type: ignore[union-attr]

    def inbox(self) -> str:
        resp = self.post("FolderSync", el(F, "FolderSync", el(F, "SyncKey", "0")))
        for folder in resp.find(F, "Changes").findall(F, "Add"):  # type: ignore[union-attr]
            if folder.find(F, "Type").value() == "2":  # type: ignore[union-attr]
                return str(folder.find(F, "ServerId").value())  # type: ignore[union-attr]
        raise RuntimeError("no INBOX in FolderSync")

    def sync(self, cid: str, key: str, window: int) -> tuple[str, int, bool]:
        """One Sync: (new SyncKey, items added, MoreAvailable)."""
        options = el(S, "Options", el(B, "BodyPreference", el(B, "Type", 1), el(B, "TruncationSize", 512)))
        parts = [el(S, "SyncKey", key), el(S, "CollectionId", cid)]
        if key != "0":
            parts += [el(S, "GetChanges", 1), el(S, "WindowSize", window), options]
        resp = self.post("Sync", el(S, "Sync", el(S, "Collections", el(S, "Collection", *parts))))
        c = resp.find(S, "Collections").find(S, "Collection")  # type: ignore[union-attr]
        assert c is not None and c.find(S, "Status").value() == "1", resp  # type: ignore[union-attr]
        cmds = c.find(S, "Commands")
        added = len(cmds.findall(S, "Add")) if cmds is not None else 0
        return str(c.find(S, "SyncKey").value()), added, c.find(S, "MoreAvailable") is not None  # type: ignore[union-attr]

    def ping(self, cid: str, heartbeat: int = 120) -> str:
        folders = el(PG, "Folders", el(PG, "Folder", el(PG, "Id", cid), el(PG, "Class", "Email")))
        resp = self.post(
            "Ping", el(PG, "Ping", el(PG, "HeartbeatInterval", heartbeat), folders), timeout=heartbeat + 30
        )
        return str(resp.find(PG, "Status").value())  # type: ignore[union-attr]


def full_sync(dev: Device, cid: str, window: int) -> tuple[float, int, int, str]:
    """(seconds, items, Sync requests, last SyncKey) from SyncKey 0 until no MoreAvailable."""
    start = time.perf_counter()
    key, _, _ = dev.sync(cid, "0", window)
    items = requests = 0
    more = True
    while more:
        key, added, more = dev.sync(cid, key, window)
        items += added
        requests += 1
    return time.perf_counter() - start, items, requests, key


def _hold(dev: Device, cid: str, result: dict[str, object]) -> None:
    result["status"] = dev.ping(cid)
    result["at"] = time.perf_counter()


def ping_wakeups(dev: Device, cid: str, key: str, smtp_port: int, rounds: int) -> list[tuple[float, float]]:
    """Per round (answer - start of the SMTP transaction, answer - the client's 250): the first is
    an upper bound of the wake-up (it includes the SMTP transaction), the second may be negative
    (the Ping can answer before the client has read the 250 that follows the commit)."""
    out: list[tuple[float, float]] = []
    for i in range(rounds):
        result: dict[str, object] = {}
        t = threading.Thread(target=_hold, args=(dev, cid, result))
        t.start()
        time.sleep(0.5)  # the Ping is waiting
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as s:
            s.ehlo("bench.test")
            start = time.perf_counter()
            s.sendmail("sender@remote.test", [ADDRESS], make_message(10**6 + i, 2048, ADDRESS))
            sent = time.perf_counter()
        t.join(60)
        assert result.get("status") == "2", result
        at = float(result["at"])  # type: ignore[arg-type]
        out.append((at - start, at - sent))
        more = True
        while more:  # the device fetches what woke it, as a phone does (not timed)
            key, _, more = dev.sync(cid, key, 512)
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--window", type=int, default=512, help="WindowSize (MS-ASCMD: at most 512)")
    ap.add_argument("--pings", type=int, default=10)
    args = ap.parse_args(argv if argv is not None else [])
    env = {"KUBEMAIL_WEB_HOST": "127.0.0.1", "KUBEMAIL_WEB_EAS_PING_MIN_HEARTBEAT_SECONDS": "1"}
    with KubemailStack(services=("smtp", "web"), extra_env=env) as km:
        raws = [make_message(i, 2048, ADDRESS) for i in range(args.messages)]
        t = time.perf_counter()
        asyncio.run(kubemail_deliver(km.env, km.user_id, raws))
        print(f"   filled {args.messages:,} messages in {time.perf_counter() - t:.1f} s", flush=True)
        dev = Device(km.ports.http)
        dev.provision()
        cid = dev.inbox()
        seconds, items, requests, key = full_sync(dev, cid, args.window)
        assert items == args.messages, (items, args.messages)
        print(
            f"   initial Sync of {items:,} messages: {seconds:.1f} s in {requests} requests "
            f"({items / seconds:.0f} items/s, {seconds / requests * 1000:.0f} ms per Sync of {args.window})",
            flush=True,
        )
        wake = ping_wakeups(dev, cid, key, km.ports.smtp, args.pings)
        total = [w for w, _ in wake]
        after = [a for _, a in wake]
        print(
            f"   Ping wake-up by an SMTP delivery (smtp process -> metadata -> web process), {len(wake)} rounds: "
            f"from the start of the SMTP transaction p50 {statistics.median(total) * 1000:.0f} ms, "
            f"max {max(total) * 1000:.0f} ms; from the client's 250 p50 {statistics.median(after) * 1000:.0f} ms",
            flush=True,
        )
    return {"sync_seconds": seconds, "items_per_second": items / seconds, "ping_p50": statistics.median(total)}


if __name__ == "__main__":
    main(sys.argv[1:])
