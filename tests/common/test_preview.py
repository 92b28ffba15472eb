"""RFC 8970 previews made at ingest (services.common.mime.build_summary, services.common.preview):
the part chosen, HTML reduced to text, whitespace and controls collapsed, 256 characters at most,
transfer encodings and charsets undone, empty for a message without text."""

from __future__ import annotations

from services.common.mime import build_summary
from services.common.preview import PREVIEW_CHARS, html_text, normalize


def test_preview_text_rules() -> None:
    assert normalize("  a\r\n\tb\x00c  ") == "a b c"
    assert len(normalize("x" * 1000)) == PREVIEW_CHARS
    assert html_text("<p>a&lt;b</p><script>no()</script><style>x{}</style>c") == " a<bc"


def test_preview_at_ingest() -> None:
    b64 = build_summary(
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b"Y2Fm6SBjcuhtZQ==\r\n"  # "café crème" in Latin-1
    )
    assert b64.HasField("preview") and b64.preview == "caf\u00e9 cr\u00e8me"
    image = build_summary(b"Content-Type: image/png\r\n\r\n\x89PNG")
    assert image.HasField("preview") and image.preview == ""  # computed: nothing to show
