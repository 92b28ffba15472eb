"""An asyncio SMTP client connection with PIPELINING (RFC 2920), on smtpwire's sans-I/O reader.

Why not aiosmtplib (docs/decisions/0013-relay.md): its protocol drops reply bytes that arrive
while an earlier reply waits to be read, so a pipelined group cannot be read back. This class
does what the relay needs and no more: greeting, EHLO (HELO fallback), STARTTLS, AUTH PLAIN /
LOGIN, a group of commands written at once with their replies read in order, DATA, QUIT.
Every read has a deadline; a server that sends garbage or too much ends the connection.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl

from services.relay.smtpwire import ProtocolError, Reply, ReplyReader, command, dot_stuffed, extensions

READ_CHUNK = 65536


class Disconnected(Exception):  # noqa: N818 - reads as a condition
    """The server closed the connection (or it broke) before the reply was complete."""


class ReplyError(Exception):
    """A command the session cannot go on without was refused (greeting, EHLO, STARTTLS, AUTH)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.line)
        self.reply = reply


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self._reader, self._writer = reader, writer
        self._wire = ReplyReader()
        self.timeout = timeout
        self.extensions: dict[str, str] = {}

    @classmethod
    async def open(
        cls, sock: socket.socket, timeout: float, tls: ssl.SSLContext | None = None, server_hostname: str = ""
    ) -> Connection:
        """Over a connected socket; with `tls`, TLS from the first byte (implicit TLS, port 465)."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(sock=sock, ssl=tls, server_hostname=(server_hostname or None) if tls else None),
            timeout,
        )
        return cls(reader, writer, timeout)

    def supports(self, keyword: str) -> bool:
        return keyword.lower() in self.extensions

    async def read(self, timeout: float | None = None) -> Reply:
        """The next reply (one of a pipelined group's, in order)."""
        return (await self.read_many(1, timeout))[0]

    async def read_many(self, count: int, timeout: float | None = None) -> list[Reply]:
        got: list[Reply] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeout if timeout is None else timeout)
        while True:
            got += self._wire.replies()
            if len(got) >= count:
                if len(got) > count:
                    raise ProtocolError("more replies than commands")
                return got
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError("timed out waiting for the server's reply")
            data = await asyncio.wait_for(self._reader.read(READ_CHUNK), left)
            if not data:
                raise Disconnected("the server closed the connection")
            self._wire.feed(data)

    async def send(self, data: bytes) -> None:
        self._writer.write(data)
        await asyncio.wait_for(self._writer.drain(), self.timeout)

    async def execute(self, line: bytes, timeout: float | None = None) -> Reply:
        await self.send(line)
        return await self.read(timeout)

    async def pipeline(self, lines: list[bytes], timeout: float | None = None) -> list[Reply]:
        """Every line written at once when the server offers PIPELINING, else one round trip each;
        the replies in the order of the commands."""
        if self.supports("pipelining"):
            await self.send(b"".join(lines))
            return await self.read_many(len(lines), timeout)
        return [await self.execute(line, timeout) for line in lines]

    async def greeting(self) -> Reply:
        reply = await self.read()
        if reply.code != 220:
            raise ReplyError(reply)
        return reply

    async def ehlo(self, name: str) -> Reply:
        reply = await self.execute(command("EHLO", name))
        if reply.code == 250:
            self.extensions = extensions(reply)
            return reply
        reply = await self.execute(command("HELO", name))  # RFC 5321 3.2: an old server
        if reply.code != 250:
            raise ReplyError(reply)
        self.extensions = {}
        return reply

    async def starttls(self, context: ssl.SSLContext, server_hostname: str) -> None:
        reply = await self.execute(command("STARTTLS"))
        if reply.code != 220:
            raise ReplyError(reply)
        if self._wire.pending:  # RFC 3207 6: bytes before the handshake would be read as protected
            raise ProtocolError("data after the STARTTLS reply")
        await asyncio.wait_for(
            self._writer.start_tls(context, server_hostname=server_hostname or None),
            self.timeout,
        )
        self.extensions = {}

    async def login(self, username: str, password: str) -> None:
        mechanisms = self.extensions.get("auth", "").upper().split()
        if "PLAIN" in mechanisms or "LOGIN" not in mechanisms:
            token = base64.b64encode(f"\0{username}\0{password}".encode()).decode()
            reply = await self.execute(command("AUTH", "PLAIN", token))
        else:
            reply = await self.execute(command("AUTH", "LOGIN"))
            for secret in (username, password):
                if reply.code != 334:
                    break
                reply = await self.execute(base64.b64encode(secret.encode()) + b"\r\n")
        if reply.code != 235:
            raise ReplyError(reply)

    async def data(self, message: bytes, timeout: float) -> Reply:
        """The message after a 354 (dot-stuffed here), and the reply to its end."""
        await self.send(dot_stuffed(message))
        return await self.read(timeout)

    async def quit(self) -> None:
        try:
            await asyncio.wait_for(self.execute(command("QUIT"), 5), 5)
        finally:
            self.close()

    def close(self) -> None:
        if not self._writer.is_closing():
            self._writer.close()
