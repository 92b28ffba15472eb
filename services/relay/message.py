"""What one SMTP transaction sends: the envelope of a queue entry (for one destination's
recipients) and the message bytes, with the facts the client needs about them."""

from __future__ import annotations

import dataclasses

from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb


@dataclasses.dataclass(frozen=True)
class Recipient:
    address: str
    notify: tuple[str, ...] = ()  # RFC 3461 NOTIFY keywords, upper case; () = not given
    orcpt: str = ""  # "rfc822;<xtext>"


@dataclasses.dataclass(frozen=True)
class Outgoing:
    mail_from: str  # "" = null reverse-path
    recipients: tuple[Recipient, ...]
    data: bytes  # CRLF line ends, not dot-stuffed
    ret: str = ""  # "FULL", "HDRS" or ""
    envid: str = ""  # decoded
    eight_bit: bool = False
    smtputf8: bool = False

    def only(self, addresses: set[str]) -> Outgoing:
        return dataclasses.replace(self, recipients=tuple(r for r in self.recipients if r.address in addresses))


def strip_return_path(data: bytes) -> bytes:
    """`data` without the Return-Path header fields the ingress put on top: it belongs to final
    delivery only (RFC 5321 4.4), a relay does not send it."""
    while data[:12].lower() == b"return-path:":
        end = data.find(b"\r\n")
        while end >= 0 and data[end + 2 : end + 3] in (b" ", b"\t"):
            end = data.find(b"\r\n", end + 2)
        if end < 0:
            return data
        data = data[end + 2 :]
    return data


def needs_smtputf8(mail_from: str, recipients: list[str], data: bytes) -> bool:
    """Non-ASCII in the envelope or in the header section (RFC 6531/6532)."""
    if not (mail_from + "".join(recipients)).isascii():
        return True
    end = data.find(b"\r\n\r\n")
    header = data if end < 0 else data[:end]
    return not header.isascii()


def has_eight_bit(data: bytes) -> bool:
    return not data.isascii()


def ret_of(dsn: outbound_pb.EnvelopeDsn) -> str:
    return {outbound_pb.EnvelopeDsn.RET_FULL: "FULL", outbound_pb.EnvelopeDsn.RET_HDRS: "HDRS"}.get(dsn.ret, "")


def outgoing(entry: outbound_pb.OutboundEntry, data: bytes) -> Outgoing:
    rcpts = tuple(Recipient(r.address, tuple(r.dsn.notify), r.dsn.orcpt) for r in entry.recipients)
    return Outgoing(
        mail_from=entry.mail_from,
        recipients=rcpts,
        data=data,
        ret=ret_of(entry.dsn),
        envid=entry.dsn.envid,
        eight_bit=has_eight_bit(data),
        smtputf8=needs_smtputf8(entry.mail_from, [r.address for r in rcpts], data),
    )


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()
