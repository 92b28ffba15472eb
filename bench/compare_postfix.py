"""Side by side: SMTP ingest, kubemail vs Postfix (+ Dovecot reading Postfix's Maildir).

Both get the same smtplib client: --sessions concurrent sessions send --messages messages of
--size octets to one local user; the clock stops when IMAP `STATUS INBOX (MESSAGES)` shows every
message (so delivery is included: kubemail's blob write + metadata Deliver, Postfix's queue +
virtual(8) Maildir delivery read by Dovecot).

    python -m bench compare_postfix            # or: python bench/compare_postfix.py [--messages 1000]

Needs root and `apt-get install -y dovecot-imapd dovecot-pop3d postfix`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._compare import Table, smtp_ingest
from bench._reference import ADDRESS, Dovecot, KubemailStack, Postfix


def main(argv: list[str] | None = None) -> Table:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--size", type=int, default=10 * 1024)
    ap.add_argument("--sessions", type=int, default=10)
    args = ap.parse_args(argv if argv is not None else [])

    with KubemailStack(services=("smtp", "imap")) as km:
        k = smtp_ingest(km.ports.smtp, km.ports.imap, ADDRESS, args.messages, args.size, args.sessions)
    print(f"   kubemail: {k['messages_per_second']:.0f} msg/s ({k['acked_seconds']:.2f} s to last 250)")
    with Dovecot() as dc, Postfix(dc.mail_root) as pf:
        r = smtp_ingest(pf.smtp_port, dc.imap_port, ADDRESS, args.messages, args.size, args.sessions)
    print(f"   postfix:  {r['messages_per_second']:.0f} msg/s ({r['acked_seconds']:.2f} s to last 250)")

    table = Table("postfix")
    label = f"SMTP ingest {args.messages} x {args.size // 1024} KiB, {args.sessions} sessions, until visible"
    table.add(label, "msg/s", k["messages_per_second"], r["messages_per_second"], True)
    table.add("same, until the last 250", "msg/s", args.messages / k["acked_seconds"],
              args.messages / r["acked_seconds"], True)  # fmt: skip
    if k["errors"] or r["errors"]:
        table.notes.append(f"errors: kubemail {k['errors']:.0f}, postfix {r['errors']:.0f}")
    table.print()
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
