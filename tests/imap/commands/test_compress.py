"""COMPRESS (RFC 4978) on the wire: after the uncompressed tagged OK both directions are raw
deflate (no zlib header), each response flushed so it decodes at once; over implicit TLS
too; a second COMPRESS is NO [COMPRESSIONACTIVE]; an unknown mechanism is BAD; input that is
not deflate, or inflates past any command the server accepts (a zip bomb), gets BYE."""

from __future__ import annotations

import socket
import ssl
import zlib

from tests.imap.conftest import PASSWORD, USER, ImapHandle, Raw, msg, start_imap, stop_imap


class Deflated:
    """An IMAP client speaking raw deflate (wbits -15) after COMPRESS DEFLATE."""

    def __init__(self, sock: socket.socket | ssl.SSLSocket, buf: bytes = b"") -> None:
        self.sock = sock
        self.out = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.inf = zlib.decompressobj(wbits=-15)
        self.buf = self.inf.decompress(buf)

    def send(self, data: bytes) -> None:
        self.sock.sendall(self.out.compress(data) + self.out.flush(zlib.Z_SYNC_FLUSH))

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += self.inf.decompress(chunk)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def cmd(self, tag: str, text: bytes) -> tuple[list[bytes], bytes]:
        self.send(tag.encode() + b" " + text + b"\r\n")
        lines: list[bytes] = []
        while True:
            line = self.line()
            if line.startswith(tag.encode() + b" "):
                return lines, line
            lines.append(line)


def _compressed(r: Raw) -> Deflated:
    caps, _ = r.cmd("c", "CAPABILITY")
    assert b" COMPRESS=DEFLATE" in caps[0]
    _, t = r.cmd("z", "COMPRESS DEFLATE")
    assert t.startswith(b"z OK"), t  # RFC 4978 3: the tagged OK itself is not compressed
    return Deflated(r.sock, r.buf.encode() if isinstance(r.buf, str) else r.buf)


def test_compress_both_directions(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    d = _compressed(r)
    body = msg(1) * 50  # compresses well: the wire carries far fewer octets
    _, t = d.cmd("a", b"APPEND INBOX {%d+}\r\n" % len(body) + body)
    assert t.startswith(b"a OK [APPENDUID"), t
    d.cmd("s", b"SELECT INBOX")
    lines, t = d.cmd("f", b"FETCH 1 BODY.PEEK[]")
    assert t.startswith(b"f OK"), t
    got = b"\r\n".join(lines)
    assert body in got
    caps, _ = d.cmd("c", b"CAPABILITY")
    assert b"COMPRESS=DEFLATE" not in caps[0]
    _, t = d.cmd("z2", b"COMPRESS DEFLATE")
    assert t.startswith(b"z2 NO [COMPRESSIONACTIVE]"), t
    lines, t = d.cmd("o", b"LOGOUT")
    assert lines[0].startswith(b"* BYE") and t.startswith(b"o OK"), (lines, t)
    r.close()


def test_compress_over_tls(imap: ImapHandle) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", imap.tls_port), timeout=10))
    sock.recv(65536)  # greeting
    sock.sendall(f'L LOGIN "{USER}" "{PASSWORD}"\r\nz COMPRESS DEFLATE\r\n'.encode())
    buf = b""
    while b"z OK" not in buf:
        buf += sock.recv(65536)
    rest = buf[buf.index(b"z OK") :].split(b"\r\n", 1)[1]
    d = Deflated(sock, rest)
    lines, t = d.cmd("n", b"NOOP")
    assert t.startswith(b"n OK"), t
    lines, t = d.cmd("l", b'LIST "" INBOX')
    assert t.startswith(b"l OK") and lines == [b'* LIST (\\HasNoChildren) "/" "INBOX"'], lines
    sock.close()


def test_compress_errors(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    _, t = r.cmd("z0", "COMPRESS DEFLATE")
    assert t.startswith(b"z0 BAD"), t  # not before authentication
    r.login()
    _, t = r.cmd("z1", "COMPRESS GZIP")
    assert t.startswith(b"z1 BAD"), t
    _, t = r.cmd("z", "COMPRESS DEFLATE")
    assert t.startswith(b"z OK"), t
    r.sock.sendall(b"\xff\xfe not deflate at all\r\n")  # invalid stored/huffman block type
    d = Deflated(r.sock)
    assert d.line().startswith(b"* BYE"), "no BYE for a broken stream"
    r.close()


def test_compress_zip_bomb_gets_bye(imap: ImapHandle) -> None:
    """Invariant 7: 64 MiB of zeros in ~64 KiB of deflate is refused with BYE once it inflates
    past the largest command this server accepts, never held in memory whole."""
    srv, lt = start_imap(imap.env, KUBEMAIL_IMAP_APPEND_LIMIT="100000")
    try:
        r = Raw(srv.port_of("imap"))
        r.login()
        _, t = r.cmd("z", "COMPRESS DEFLATE")
        assert t.startswith(b"z OK"), t
        d = Deflated(r.sock)
        bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
        zeros = b"0" * (1 << 20)
        try:
            for _ in range(64):
                r.sock.sendall(bomb.compress(zeros))
            r.sock.sendall(bomb.flush(zlib.Z_SYNC_FLUSH))
        except OSError:
            pass  # the server may close before all of it is sent
        lines = []
        try:
            while True:
                lines.append(d.line())
        except (EOFError, OSError):
            pass
        assert b"* BYE Compressed input refused" in lines, lines
        r.close()
    finally:
        stop_imap(srv, lt)
