"""Side by side: SMTP ingest with spam scanning (and sender verification), kubemail vs Postfix +
the rspamd milter (issue 15).

Both sides get the same DKIM-signed messages (RSA-2048, d=remote.test, From and MAIL FROM in
remote.test) over the same `smtplib` sessions, and the same real rspamd (tests/fixtures/rspamd.py):

- variant "none" (the baseline): no scanner, no verification (KUBEMAIL_SMTP_TRUST=false; Postfix
  without smtpd_milters).
- variant "rspamd": kubemail (KUBEMAIL_SMTP_TRUST=false) asks rspamd's normal worker over
  /checkv2; Postfix has `smtpd_milters` pointing at rspamd's milter proxy worker (`self_scan`:
  it scans in its own process). rspamd runs its core rules and Bayes, no network checks.
- variant "verify": the same, and SPF (MAIL FROM and HELO), DKIM, DMARC and ARC are verified
  against a dnsmasq zone: on kubemail by the MX itself (the rspamd it asks has the same config
  as in "rspamd"); on Postfix by rspamd's own `spf`, `dkim` and `dmarc` modules (a second rspamd
  instance, same config plus those modules, no ARC) behind the milter.

Both fail closed: KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN=false (451) and `milter_default_action =
tempfail`. kubemail's clock stops when every message is in the INBOX (metadata GetMailbox),
Postfix's when every message is a file in the Maildir's new/ (virtual(8) delivery done). Before
each timed run with a scanner, one GTUBE message must be refused with a 5xx by the side under
test (the scanner is really in the path); after it, rspamd's /stat must have counted every
message as scanned, and each side's record of the checks is counted (kubemail: the
kubemail_smtp_auth_results_total passes; Postfix: X-Spamd-Result and the spf/dkim/dmarc passes
in the Authentication-Results header that rspamd's milter_headers adds to each delivered file).
The sides run one after the other, never at once, alternating which goes first, for --rounds.

    python -m bench compare_spam             # or: python bench/compare_spam.py [--messages 1000 --rounds 3]

(about 3 minutes with the defaults: 1,000 messages, 2 rounds; 4 with --rounds 3)

Needs root, `apt-get install -y postfix rspamd dnsmasq redis-server` (make bench-deps).
"""

from __future__ import annotations

import argparse
import asyncio
import email.policy
import shutil
import smtplib
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from email.parser import BytesHeaderParser
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._compare import HOST, make_message, send_then_wait
from bench._reference import ADDRESS, KubemailStack, Postfix, _tmpdir, maildir_path, make_maildir
from bench.smtp_ingest import _visible

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "operator")]

import dkim  # noqa: E402
from kubemail_operator import dkim as operator_dkim  # noqa: E402

from tests.fixtures.dns import DnsServer, Zone  # noqa: E402
from tests.fixtures.rspamd import RspamdServer  # noqa: E402

SENDER = "s@remote.test"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
VARIANTS = ("none", "rspamd", "verify")
AUTH_MODULES = ("spf", "dkim", "dmarc")
# what each side must have recorded for every message of a "verify" run
KUBEMAIL_PASSES = ("spf", "dkim", "dmarc")
LIMIT = 240.0  # seconds one timed run may take in all


def signed_messages(count: int, size: int, key: bytes) -> list[bytes]:
    head = [b"from", b"to", b"subject", b"date", b"message-id"]
    out = []
    for i in range(count):
        raw = make_message(i, size, ADDRESS)
        out.append(bytes(dkim.sign(raw, b"bench", b"remote.test", key, include_headers=head)) + raw)
    return out


def zone(key: bytes) -> Zone:
    return (
        Zone()
        .txt("remote.test", "v=spf1 ip4:127.0.0.1 -all")
        .txt("bench._domainkey.remote.test", operator_dkim.txt_value(key))
        .txt("_dmarc.remote.test", "v=DMARC1; p=reject")
    )


def gtube_reply(port: int) -> tuple[int, str]:
    """The reply to DATA of one GTUBE message."""
    raw = (
        f"From: {SENDER}\r\nTo: {ADDRESS}\r\nSubject: gtube\r\nMessage-ID: <gtube@remote.test>\r\n\r\n{GTUBE}\r\n"
    ).encode()
    with smtplib.SMTP(HOST, port, local_hostname="bench.client", timeout=60) as s:
        s.ehlo()
        s.mail(SENDER)
        s.rcpt(ADDRESS)
        code, text = s.data(raw)
        return code, text.decode(errors="replace")


def _send(port: int, raws: list[bytes], errors: list[str], tempfails: list[int]) -> None:
    """One session: every message, a 4xx retried (counted), a 5xx or anything else an error."""
    try:
        with smtplib.SMTP(HOST, port, local_hostname="bench.client", timeout=60) as s:
            for raw in raws:
                for _ in range(50):
                    try:
                        s.sendmail(SENDER, [ADDRESS], raw)
                        break
                    except smtplib.SMTPResponseException as exc:
                        if exc.smtp_code >= 500:
                            errors.append(f"{exc.smtp_code} {exc.smtp_error!r}")
                            break
                        tempfails.append(exc.smtp_code)
                        s.rset()
                        time.sleep(0.05)
                else:
                    errors.append("gave up after 50 temporary failures")
    except Exception as exc:  # reported, not raised: one broken session must not hide the numbers
        errors.append(repr(exc))


def ingest(port: int, raws: list[bytes], sessions: int, delivered: Callable[[], int]) -> dict[str, float]:
    """`sessions` concurrent sessions send `raws`; seconds to the last 250 and until `delivered()`
    counts every accepted message."""
    errors: list[str] = []
    tempfails: list[int] = []
    acked, took, gave_up = send_then_wait(
        raws,
        sessions,
        lambda share: _send(port, share, errors, tempfails),
        delivered,
        lambda: len(raws) - len(errors),
        LIMIT,
    )
    if gave_up:
        errors.append("not all delivered within the limit")
    if errors:
        print(f"   errors ({len(errors)}): {errors[0]}")
    return {
        "messages_per_second": len(raws) / took,
        "acked_per_second": len(raws) / acked,
        "seconds": took,
        "errors": float(len(errors)),
        "tempfails": float(len(tempfails)),
    }


def kubemail_passes(metrics_port: int) -> dict[str, int]:
    """kubemail_smtp_auth_results_total{result="pass"} by method, from the SMTP pod's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out = dict.fromkeys(KUBEMAIL_PASSES, 0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "kubemail_smtp_auth_results_total" and sample.labels.get("result") == "pass":
                out[sample.labels["method"]] = out.get(sample.labels["method"], 0) + int(sample.value)
    return out


def maildir_passes(maildir: Path) -> dict[str, int]:
    """Delivered messages whose rspamd milter headers record a verdict (X-Spamd-Result) and, per
    method, a pass in its Authentication-Results."""
    out = dict.fromkeys(("x-spamd-result", *AUTH_MODULES), 0)
    parser = BytesHeaderParser(policy=email.policy.compat32)
    for path in (maildir / "new").iterdir():
        with open(path, "rb") as f:
            msg = parser.parse(f)
        if msg.get("X-Spamd-Result"):
            out["x-spamd-result"] += 1
        results = " ".join(str(v) for v in msg.get_all("Authentication-Results") or [])
        for method in AUTH_MODULES:
            out[method] += f"{method}=pass" in results
    return out


def _scanned(rs: RspamdServer) -> int:
    return int(rs.stat().get("scanned", 0))


def _check_gtube(side: str, port: int) -> str:
    code, text = gtube_reply(port)
    if not 500 <= code < 600:
        raise RuntimeError(f"{side}: GTUBE was not refused ({code} {text}): the scanner is not in the path")
    return f"{code} {text}"


def run_kubemail(variant: str, raws: list[bytes], sessions: int, rs: RspamdServer, dns: DnsServer) -> dict[str, float]:
    scan = variant != "none"
    env = {
        "KUBEMAIL_RSPAMD_URL": rs.url if scan else "",
        "KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN": "false",
        "KUBEMAIL_SMTP_MX_MSG_RATE_LIMIT": "0",
        "KUBEMAIL_SMTP_TRUST": "true" if variant == "verify" else "false",
        "KUBEMAIL_SMTP_DNS_SERVERS": dns.address,
        # loopback is trusted (never verified) by default: trust only a network nobody sends from
        "KUBEMAIL_TRUSTED_NETWORKS": "192.0.2.0/24",
    }
    with KubemailStack(services=("smtp",), extra_env=env) as km:
        addr = km.env["KUBEMAIL_METADATA_ADDR"]
        reply = _check_gtube("kubemail", km.ports.smtp) if scan else "not sent"
        before = _scanned(rs)
        result = ingest(km.ports.smtp, raws, sessions, lambda: asyncio.run(_visible(addr, km.user_id)))
        result["scanned"] = float(_scanned(rs) - before)
        passes = kubemail_passes(km.ports.metrics["smtp"])
    print(f"   kubemail {variant:6}: {_line(result)}; GTUBE: {reply}; passes {passes}")
    return result


def run_postfix(variant: str, raws: list[bytes], sessions: int, rs: RspamdServer) -> dict[str, float]:
    mail_root = _tmpdir("ref-postfix-mail-")
    maildir = maildir_path(mail_root)
    make_maildir(maildir)
    scan = variant != "none"
    milter = (
        f"smtpd_milters = inet:127.0.0.1:{rs.milter_port}\n"
        "milter_default_action = tempfail\n"
        "milter_protocol = 6\n"
        "milter_connect_timeout = 10s\n"
        "milter_content_timeout = 60s\n"
    )
    try:
        with Postfix(mail_root, extra_main=milter if scan else "") as pf:
            reply = _check_gtube("postfix", pf.smtp_port) if scan else "not sent"
            before = _scanned(rs)
            result = ingest(pf.smtp_port, raws, sessions, lambda: len(list((maildir / "new").iterdir())))
            result["scanned"] = float(_scanned(rs) - before)
        passes = maildir_passes(maildir)
    finally:
        shutil.rmtree(mail_root, ignore_errors=True)
    print(f"   postfix  {variant:6}: {_line(result)}; GTUBE: {reply}; headers {passes}")
    return result


def _line(r: dict[str, float]) -> str:
    return (
        f"{r['messages_per_second']:.1f} msg/s until delivered ({r['acked_per_second']:.1f} to the last 250), "
        f"errors {r['errors']:.0f}, 4xx retried {r['tempfails']:.0f}, rspamd scanned {r['scanned']:.0f}"
    )


def main(argv: list[str] | None = None) -> dict[str, list[tuple[float, float]]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--size", type=int, default=10 * 1024)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv if argv is not None else [])

    key = operator_dkim.generate_private_pem(2048)
    raws = signed_messages(args.messages, args.size, key)
    results: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
    dns = DnsServer(zone(key), tcp_children=True).start()
    base = auth = None
    try:
        base = RspamdServer(dns=dns.address, milter=True, modules=("milter_headers",)).start()
        auth = RspamdServer(dns=dns.address, milter=True, modules=(*AUTH_MODULES, "milter_headers")).start()
        for n in range(args.rounds):
            for variant in VARIANTS:
                print(f"   -- round {n + 1}, {variant}", flush=True)
                milter = base if variant == "rspamd" else auth
                if n % 2 == 0:
                    k = run_kubemail(variant, raws, args.sessions, base, dns)
                    p = run_postfix(variant, raws, args.sessions, milter)
                else:
                    p = run_postfix(variant, raws, args.sessions, milter)
                    k = run_kubemail(variant, raws, args.sessions, base, dns)
                results[variant].append((k["messages_per_second"], p["messages_per_second"]))
    finally:
        for rs in (auth, base):
            if rs is not None:
                rs.close()
        dns.stop()
    print(f"\n   {args.messages} x {args.size // 1024} KiB, {args.sessions} sessions, until delivered; msg/s")
    print("   | variant | kubemail (rounds) | Postfix (rounds) | kubemail / Postfix (rounds) | median ratio |")
    print("   |---|---|---|---|---:|")
    for variant, rows in results.items():
        ks = ", ".join(f"{k:.0f}" for k, _ in rows)
        ps = ", ".join(f"{p:.0f}" for _, p in rows)
        ratios = [k / p for k, p in rows if p]
        rs_ = ", ".join(f"{r:.2f}" for r in ratios)
        med = statistics.median(ratios) if ratios else float("nan")
        print(f"   | {variant} | {ks} | {ps} | {rs_} | {med:.2f} |")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
