"""E-mail bytes -> ParsedMail (title, text, written time, first image), never raising."""

from __future__ import annotations

import email
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from overpush.errors import ApiError, E
from overpush.intake.validate import MESSAGE_MAX, TITLE_MAX

from services.mailgw.text import cut, decode_bytes, decode_header_value, html_to_text, tidy

IMAGE_MAX = 5 * 1024 * 1024  # Pushover's attachment limit
MAX_PARTS = 200  # a mail with more parts is read only up to here
IMAGE_NAMES = (".jpg", ".jpeg", ".png", ".gif", ".webp")


@dataclass(frozen=True)
class Image:
    """The mail's first image, sniffed from its bytes; the attachment of the notification."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    title: str | None
    body: str  # plain text, at most MESSAGE_MAX characters (cut ones end with a marker)
    written_at: datetime | None  # the Date header, if it could be read
    image: Image | None = None


class UnreadableMail(ApiError):
    """The bytes are not an e-mail the parser can make anything of (E.MAIL_UNREADABLE)."""


def sniff_image(data: bytes) -> str | None:
    """The image type by magic bytes (never by the declared type); only JPEG/PNG/GIF/WebP."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def written_at(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        dt = parsedate_to_datetime(decode_header_value(raw, 200))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    # "-0000" means "time zone unknown": RFC 5322 says the time is UTC then.
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _raw_header(msg: Message, name: str) -> str | None:
    # raw_items gives the header as received; Message.get would wrap 8-bit ones in Header.
    for key, value in msg.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _leaves(msg: Message) -> list[Message]:
    """Non-multipart parts, depth first, without recursion (hostile nesting is deep)."""
    out: list[Message] = []
    stack = [msg]
    while stack and len(out) < MAX_PARTS:
        part = stack.pop()
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
        else:
            out.append(part)
    return out


def _image_of(part: Message) -> Image | None:
    ctype = part.get_content_type()
    filename = part.get_filename()
    named = bool(filename) and str(filename).lower().endswith(IMAGE_NAMES)
    if part.get_content_maintype() != "image" and not (ctype == "application/octet-stream"
                                                       and named):
        return None
    encoded = part.get_payload()
    if not isinstance(encoded, str) or len(encoded) > IMAGE_MAX * 4 // 3 + 4096:
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or not 0 < len(data) <= IMAGE_MAX:
        return None
    kind = sniff_image(data)
    if kind is None:
        return None
    name = decode_header_value(str(filename), 255) if filename else None
    return Image(filename=name or None, content_type=kind, data=data)


def _text_of(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    return decode_bytes(data, part.get_content_charset())


def parse(raw: bytes) -> ParsedMail:
    """Read what a person would see: subject, text (or HTML as text), date, first image.

    Whatever goes wrong here is decided by the bytes alone (deep nesting exhausts the parser's
    recursion, for one), so it is the sender's problem: UnreadableMail, answered with 554.
    """
    try:
        return _parse(email.message_from_bytes(raw))
    except Exception as exc:
        raise UnreadableMail.of(E.MAIL_UNREADABLE, f"{type(exc).__name__}: {exc}"[:200]) from exc


def _parse(msg: Message) -> ParsedMail:
    subject = decode_header_value(_raw_header(msg, "subject") or "")
    plain: str | None = None
    html: str | None = None
    image: Image | None = None
    for part in _leaves(msg):
        try:
            attached = part.get_content_disposition() == "attachment"
            ctype = part.get_content_type()
            if ctype == "text/plain" and not attached and plain is None:
                plain = tidy(_text_of(part)) or None
            elif ctype == "text/html" and not attached and html is None:
                html = _text_of(part)
            elif image is None:
                image = _image_of(part)
        except Exception:  # one broken part (bad base64, bad parameters) spoils only itself
            continue
    body = plain if plain is not None else (html_to_text(html) if html else "")
    return ParsedMail(
        title=cut(subject, TITLE_MAX) or None,
        body=cut(body, MESSAGE_MAX),
        written_at=written_at(_raw_header(msg, "date")),
        image=image,
    )
