"""The private parts of aiosmtpd that services/smtp/session.py still relies on, pinned.

aiosmtpd's documented extension points (handler hooks, ``smtp_*`` methods, ``@syntax``,
``@auth_mechanism``, the ``authenticator`` callback) carry the transaction logic. A few needs
have no public seam in aiosmtpd 1.4, so the subclass uses these private members:

- ``_handle_client``: PROXY header, admission and implicit TLS before the greeting;
- ``_create_envelope``: our envelope type (RCPT resolution results);
- ``_set_post_data_state``: reset of the BDAT (CHUNKING) state with the transaction;
- ``_reset_timeout`` / ``_timeout_cb`` / ``_timeout_handle``: the 421 on idle timeout and the
  separate PROXY and DATA-phase deadlines;
- ``_handler_coroutine``: the end of the session, for the connection gauge;
- ``_smtp_methods``: per-command metrics around each ``smtp_*`` method;
- ``_auth_require_tls`` / ``_auth_required``: AUTH policy per client network;
- ``_call_handler_hook``: running a handler hook from the BDAT path;
- ``_getaddr``: the MAIL/RCPT path parser (ours, services/smtp/paths.py, replaces the e-mail
  header parser aiosmtpd uses, which raises IndexError/AttributeError on truncated paths);
- ``_reader`` / ``_writer``, ``_original_transport`` / ``_tls_protocol`` (and the reader's
  ``_buffer``): implicit TLS on the accepted connection, and replies outside a command.

If an aiosmtpd upgrade renames or reshapes any of them, these tests fail before anything
misbehaves at run time; requirements.lock pins the version they were written against.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import aiosmtpd
from aiosmtpd.smtp import SMTP

ROOT = Path(__file__).resolve().parents[2]

METHODS = {
    "_handle_client": ["self"],
    "_create_envelope": ["self"],
    "_set_post_data_state": ["self"],
    "_reset_timeout": ["self", "duration"],
    "_timeout_cb": ["self"],
    "_call_handler_hook": ["self", "command", "args"],
    "_getaddr": ["self", "arg"],
}
INSTANCE = ["_timeout_handle", "_handler_coroutine", "_smtp_methods", "_auth_require_tls", "_auth_required",
            "_original_transport", "_tls_protocol"]  # fmt: skip
AFTER_CONNECT = ["_reader", "_writer"]


def test_version_is_the_pinned_one() -> None:
    pins = [ln for ln in (ROOT / "requirements.lock").read_text().splitlines() if ln.lower().startswith("aiosmtpd==")]
    assert pins == [f"aiosmtpd=={aiosmtpd.__version__}"], (pins, aiosmtpd.__version__)


def test_private_methods_keep_their_signatures() -> None:
    for name, params in METHODS.items():
        fn = getattr(SMTP, name, None)
        assert callable(fn), name
        assert list(inspect.signature(fn).parameters) == params, (name, inspect.signature(fn))
    assert inspect.iscoroutinefunction(SMTP._handle_client)
    assert inspect.iscoroutinefunction(SMTP._call_handler_hook)


def test_private_attributes_exist() -> None:
    smtp = SMTP(object())
    for name in INSTANCE:
        assert hasattr(smtp, name), name
    methods = smtp._smtp_methods
    assert isinstance(methods, dict) and {"EHLO", "MAIL", "RCPT", "DATA", "AUTH"} <= set(methods)


async def test_reader_writer_and_buffer_after_connect() -> None:
    """_reader/_writer are made in connection_made; the reader keeps a bytearray _buffer."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(object()), "127.0.0.1", 0)
    made: list[SMTP] = []
    try:
        orig = SMTP.connection_made

        def spy(self: SMTP, transport: asyncio.BaseTransport) -> None:
            orig(self, transport)
            made.append(self)

        SMTP.connection_made = spy  # type: ignore[method-assign]
        try:
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert (await reader.readline()).startswith(b"220")
            writer.close()
        finally:
            SMTP.connection_made = orig  # type: ignore[method-assign]
        assert made
        for name in AFTER_CONNECT:
            assert hasattr(made[0], name), name
        assert isinstance(made[0]._reader._buffer, bytearray)  # type: ignore[attr-defined]
    finally:
        server.close()
        await server.wait_closed()
