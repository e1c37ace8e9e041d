"""Text from e-mail bytes: charsets, RFC 2047 headers, HTML to plain text, safe characters."""

from __future__ import annotations

import codecs
import re
from email.header import decode_header
from html.parser import HTMLParser

# C0/C1 controls other than tab and newline: NUL cannot be stored in PostgreSQL text, and
# none of them belong in a notification.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")
TRUNCATED = "… [truncated]"


def _fix_surrogates(s: str) -> str:
    """Lone surrogates (raw 8-bit bytes escaped by the parser) become cp1252 characters."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        return s
    try:
        return s.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        pass
    out = []
    for c in s:
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:
            out.append(bytes([o - 0xDC00]).decode("cp1252", "replace"))
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(c)
    return "".join(out)


def clean(s: str) -> str:
    """Only characters every database, client and terminal can take."""
    s = _fix_surrogates(s).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", s)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode a body part: its declared charset if Python knows it, else UTF-8, else cp1252."""
    if charset and charset.lower() not in ("unknown-8bit", "x-unknown", "us-ascii", "ascii"):
        try:
            codecs.lookup(charset)
            return data.decode(charset, "replace")
        except (LookupError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")  # the usual 8-bit mail without a charset


def decode_header_value(raw: str, limit: int = 8192) -> str:
    """An RFC 2047 header (`=?utf-8?q?...?=`), tolerant of wrong charsets and raw 8-bit."""
    raw = _fix_surrogates(raw[:limit])
    try:
        parts = decode_header(raw)
    except Exception:  # malformed encoded words: show them as they are
        return clean(_SPACES.sub(" ", raw)).strip()
    out = []
    for chunk, charset in parts:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    # Folded headers carry newlines; a title is one line.
    return clean(_SPACES.sub(" ", "".join(out).replace("\n", " "))).strip()


def cut(s: str, limit: int) -> str:
    """At most `limit` characters; a cut text ends with a marker so the reader knows."""
    if len(s) <= limit:
        return s
    return s[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def tidy(s: str) -> str:
    lines = [_SPACES.sub(" ", ln).strip() for ln in clean(s).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _TextOf(HTMLParser):
    BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                       "table", "ul", "ol", "blockquote", "pre", "hr", "section", "article"})
    SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data.replace("\n", " "))


def html_to_text(html: str) -> str:
    """The text a reader sees in an HTML-only mail: no markup, scripts or styles."""
    p = _TextOf()
    try:
        p.feed(html)
        p.close()
    except Exception:  # HTMLParser is lenient; whatever it could read is kept
        pass
    return tidy("".join(p.parts))
