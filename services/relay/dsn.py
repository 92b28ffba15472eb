"""Delivery status notifications (RFC 3464 multipart/report, RFC 3461 semantics), built as
bytes with no I/O: `report` for "failed", "delayed" and "relayed" notices.

The original message goes back whole (message/rfc822) unless the sender asked RET=HDRS
(text/rfc822-headers). Which recipients get a notice at all is `wants_notice`: never for a
null reverse-path, and as NOTIFY says (absent NOTIFY = failure and delay, RFC 3461 5.2.2).
"""

from __future__ import annotations

import dataclasses
import email.utils
import secrets
import time
from collections.abc import Sequence

ACTIONS = ("failed", "delayed", "relayed", "delivered")


@dataclasses.dataclass(frozen=True)
class RecipientStatus:
    address: str
    action: str  # one of ACTIONS
    status: str  # RFC 3463 code, e.g. "5.1.1"
    diagnostic: str = ""  # the remote reply or our own reason
    remote_mta: str = ""  # host name of the MX that answered, if any
    orcpt: str = ""  # "rfc822;<xtext>" as given at RCPT
    will_retry_until: int = 0  # unix seconds, "delayed" only


def wants_notice(mail_from: str, notify: Sequence[str], action: str) -> bool:
    if not mail_from:
        return False
    keywords = {k.upper() for k in notify}
    if "NEVER" in keywords:
        return False
    if action == "failed":
        return not keywords or "FAILURE" in keywords
    if action == "delayed":
        return not keywords or "DELAY" in keywords
    if action in ("relayed", "delivered"):
        return "SUCCESS" in keywords
    return False


def status_of(reply: str, permanent: bool) -> str:
    """The enhanced status code of an SMTP reply line, or a generic one by its class."""
    parts = reply.split()
    for token in parts[1:2] + parts[:1]:
        bits = token.split(".")
        if len(bits) == 3 and all(b.isdigit() for b in bits) and bits[0] in ("2", "4", "5"):
            return token
    return "5.0.0" if permanent else "4.0.0"


def _date(ts: float) -> str:
    return email.utils.formatdate(ts, localtime=False)


def _header_section(message: bytes) -> bytes:
    end = message.find(b"\r\n\r\n")
    return message if end < 0 else message[: end + 2]


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


_SUBJECTS = {
    "failed": "Undelivered Mail Returned to Sender",
    "delayed": "Delayed Mail (still being retried)",
    "relayed": "Successful Mail Delivery Report",
    "delivered": "Successful Mail Delivery Report",
}

_EXPLAIN = {
    "failed": "Your message could not be delivered to one or more recipients. It has been given up on.",
    "delayed": "Your message has not been delivered yet to one or more recipients. Delivery is still "
    "being retried; you do not need to send it again. You will be told if it fails for good.",
    "relayed": "Your message was delivered to a server that does not send delivery notifications; "
    "this is the last notice you will get for these recipients.",
    "delivered": "Your message was delivered.",
}


def report(
    *,
    reporting_mta: str,
    sender: str,
    action: str,
    recipients: Sequence[RecipientStatus],
    original: bytes,
    ret: str = "",
    envid: str = "",
    queue_id: str = "",
    arrival: float = 0.0,
    now: float | None = None,
) -> bytes:
    now = time.time() if now is None else now
    boundary = f"kubemail-dsn-{secrets.token_hex(12)}"
    lines = [
        f"Your message to {', '.join(r.address for r in recipients)} (queue id {queue_id or 'unknown'}):",
        "",
        _EXPLAIN[action],
        "",
    ]
    for r in recipients:
        lines.append(f"<{r.address}>: {r.diagnostic or r.status}")
        if r.will_retry_until:
            lines.append(f"    will be retried until {_date(r.will_retry_until)}")
    human = "\n".join(lines) + "\n"
    human_bytes = human.encode()
    cte = "7bit" if human_bytes.isascii() else "8bit"

    per_message = [f"Reporting-MTA: dns; {reporting_mta}"]
    if queue_id:
        per_message.append(f"X-Kubemail-Queue-ID: {queue_id}")
    if envid:
        per_message.append(f"Original-Envelope-Id: {envid}")
    if arrival:
        per_message.append(f"Arrival-Date: {_date(arrival)}")
    blocks = ["\n".join(per_message)]
    for r in recipients:
        b = []
        if r.orcpt:
            kind, _, value = r.orcpt.partition(";")
            b.append(f"Original-Recipient: {kind.strip()};{value}")
        b += [f"Final-Recipient: rfc822; {r.address}", f"Action: {r.action}", f"Status: {r.status}"]
        if r.remote_mta:
            b.append(f"Remote-MTA: dns; {r.remote_mta}")
        if r.diagnostic:
            kind = "smtp" if r.diagnostic[:3].isdigit() else "x-kubemail"
            b.append(f"Diagnostic-Code: {kind}; {r.diagnostic}")
        b.append(f"Last-Attempt-Date: {_date(now)}")
        if r.will_retry_until:
            b.append(f"Will-Retry-Until: {_date(r.will_retry_until)}")
        blocks.append("\n".join(b))
    status_body = "\n\n".join(blocks) + "\n"

    if ret == "HDRS":
        third_type, third = "text/rfc822-headers", _header_section(original)
    else:
        third_type, third = "message/rfc822", original
    domain = reporting_mta
    head = (
        f"From: Mail Delivery System <MAILER-DAEMON@{domain}>\n"
        f"To: <{sender}>\n"
        f"Subject: {_SUBJECTS[action]}\n"
        f"Date: {_date(now)}\n"
        f"Message-ID: <{secrets.token_hex(16)}@{domain}>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\n'
        "\n"
        "This is a MIME-encapsulated message.\n"
        "\n"
        f"--{boundary}\n"
        "Content-Description: Notification\n"
        "Content-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: {cte}\n"
        "\n"
    )
    out = _crlf(head) + _crlf(human)
    out += _crlf(f"\n--{boundary}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n")
    out += _crlf(status_body)
    out += _crlf(f"\n--{boundary}\nContent-Description: Returned message\nContent-Type: {third_type}\n\n")
    out += third if third.endswith(b"\r\n") else third + b"\r\n"
    out += _crlf(f"\n--{boundary}--\n")
    return out
