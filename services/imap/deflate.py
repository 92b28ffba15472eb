"""COMPRESS=DEFLATE (RFC 4978) stream state, sans-I/O: raw deflate (RFC 1951, no zlib header:
wbits -15) both ways. Output is flushed with Z_SYNC_FLUSH at each flush of the session, so
every response reaches the client whole. Input is inflated in bounded steps (pull model):
at most INFLATE_CHUNK octets of output per step, and the next step only when the command
receiver has taken what the last one gave, so a small compressed input that expands hugely
(a "zip bomb") never sits in memory at once; the session also ends a connection whose
inflated input passes the largest command it accepts without completing one (services.imap.session)."""

from __future__ import annotations

import zlib

INFLATE_CHUNK = 256 * 1024
LEVEL = 6


class DeflateError(Exception):
    """The peer's data is not a valid raw deflate stream."""


class Deflate:
    def __init__(self, chunk: int = INFLATE_CHUNK) -> None:
        self.chunk = chunk
        self._inflate = zlib.decompressobj(wbits=-15)
        self._deflate = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        self._more = False  # the last step stopped at the output limit: there may be more

    def compress(self, data: bytes) -> bytes:
        """`data` compressed and sync-flushed (decodable by the peer right away)."""
        return self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def inflate(self, data: bytes) -> bytes:
        """The first step of inflating `data` (call only when pending() is False)."""
        return self._step(data)

    def pending(self) -> bool:
        """Inflated output is still to come from input already received."""
        return self._more or bool(self._inflate.unconsumed_tail)

    def more(self) -> bytes:
        """The next step of output from input already received."""
        return self._step(self._inflate.unconsumed_tail)

    def _step(self, data: bytes) -> bytes:
        try:
            out = self._inflate.decompress(data, self.chunk)
        except zlib.error as exc:
            raise DeflateError(str(exc)) from None
        self._more = len(out) >= self.chunk and not self._inflate.eof
        return out  # after a final block (the peer is closing) anything more is ignored
