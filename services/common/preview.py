"""RFC 8970 message previews from decoded text, pure functions (the part is chosen and decoded
by services.common.mime): HTML reduced to its text (stdlib html.parser; script, style and head
dropped, character references resolved), whitespace and controls collapsed to single spaces,
at most PREVIEW_CHARS characters."""

from __future__ import annotations

from html.parser import HTMLParser

PREVIEW_CHARS = 256  # RFC 8970 3: no more than 256 characters
_SKIP = frozenset({"script", "style", "head", "title"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.size = 0
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in ("br", "p", "div", "li", "tr", "td", "h1", "h2", "h3"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data)
            self.size += len(data)


def html_text(html: str) -> str:
    p = _Text()
    try:
        p.feed(html)
        p.close()
    except Exception:  # html.parser is lenient; a parser bug must not fail an ingest
        return ""
    return "".join(p.out)


def normalize(text: str) -> str:
    """Single spaces, no controls, at most PREVIEW_CHARS characters."""
    words = "".join(c if c.isprintable() else " " for c in text).split()
    out = " ".join(words)
    return out[:PREVIEW_CHARS].rstrip()


def preview(text: str, is_html: bool) -> str:
    return normalize(html_text(text) if is_html else text)
