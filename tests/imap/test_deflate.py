"""The COMPRESS=DEFLATE stream state (services.imap.deflate) sans-I/O: raw deflate both ways,
sync-flushed output decodable at once, and bounded inflation: a small input that expands
hugely comes out in INFLATE_CHUNK steps (RFC 4978, invariant 7)."""

from __future__ import annotations

import zlib

import pytest

from services.imap.deflate import Deflate, DeflateError


def test_round_trip_and_sync_flush() -> None:
    server, peer_in = Deflate(), zlib.decompressobj(wbits=-15)
    wire = server.compress(b"* OK hello\r\n")
    assert peer_in.decompress(wire) == b"* OK hello\r\n"  # complete without any further data
    peer_out = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = peer_out.compress(b"a NOOP\r\n") + peer_out.flush(zlib.Z_SYNC_FLUSH)
    assert server.inflate(data) == b"a NOOP\r\n" and not server.pending()


def test_inflation_is_stepped() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = bomb.compress(b"\0" * (8 << 20)) + bomb.flush(zlib.Z_SYNC_FLUSH)
    assert len(data) < 64 * 1024
    d = Deflate(chunk=1 << 20)
    got = d.inflate(data)
    total = len(got)
    assert len(got) == 1 << 20 and d.pending()
    while d.pending():
        step = d.more()
        assert len(step) <= 1 << 20
        total += len(step)
    assert total == 8 << 20


def test_broken_stream() -> None:
    with pytest.raises(DeflateError):
        Deflate().inflate(b"\xff\xfe garbage")
