"""Attachments: reading one from a request, the checks (reliability §3.6: size, type sniffed
from the bytes, a real decode), and the URL a device downloads it from.

Clients send no Content-Type or application/octet-stream, so the declared type is ignored;
only JPEG, PNG, GIF and WebP are accepted (SVG is active content and is refused).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import warnings
from dataclasses import dataclass
from typing import Protocol

import filetype  # type: ignore[import-untyped]
from PIL import Image

from overpush.errors import ApiError, E

MAX_BYTES = 5_242_880
ALLOWED = {"image/jpeg", "image/png", "image/gif", "image/webp"}
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # well under Pillow's own bomb limit


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


def decode_base64(value: str) -> bytes:
    # Base64 is ~4/3 of the bytes: refuse before decoding anything obviously too large.
    if len(value) > (MAX_BYTES * 4) // 3 + 8:
        raise ApiError.of(E.ATTACHMENT_TOO_LARGE)
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError.of(E.ATTACHMENT_INVALID, "attachment_base64 is not valid Base64") from None


def check_image(data: bytes) -> CheckedImage:
    """The image and its real type, or an ApiError. CPU-bound: call it in a worker thread."""
    if len(data) > MAX_BYTES:
        raise ApiError.of(E.ATTACHMENT_TOO_LARGE)
    if not data:
        raise ApiError.of(E.ATTACHMENT_INVALID, "attachment is empty")
    sniffed = filetype.guess_mime(data)
    if sniffed not in ALLOWED:
        raise ApiError.of(E.ATTACHMENT_INVALID)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ApiError.of(E.ATTACHMENT_INVALID, "attachment has too many pixels")
                fmt = im.format
                im.verify()
    except ApiError:
        raise
    except Exception:
        # Truncated, corrupt, a polyglot, or a decompression bomb.
        raise ApiError.of(E.ATTACHMENT_INVALID) from None
    if FORMATS.get(fmt or "") != sniffed:
        raise ApiError.of(E.ATTACHMENT_INVALID)
    return CheckedImage(data, sniffed)


class Upload(Protocol):
    """An uploaded part (Starlette's UploadFile): read at most `size` bytes."""

    async def read(self, size: int = -1) -> bytes: ...


async def read_attachment(upload: Upload | None, base64_value: str | None) -> CheckedImage | None:
    """A request's image, from a multipart `attachment` part or from `attachment_base64` (its
    `attachment_type` is only a hint: the type is sniffed from the bytes)."""
    if upload is not None:
        data = await upload.read(MAX_BYTES + 1)
    elif base64_value:
        data = decode_base64(base64_value)
    else:
        return None
    if len(data) > MAX_BYTES:
        raise ApiError.of(E.ATTACHMENT_TOO_LARGE)
    # Decoding an image is CPU work: keep it off the event loop.
    return await asyncio.to_thread(check_image, data)


def attachment_url(base: str, message_id: int, content_type: str) -> str:
    """Where a device downloads a message's image (GET /1/attachments/{umid}.{ext})."""
    return f"{base}/1/attachments/{message_id}.{EXTENSIONS.get(content_type, 'bin')}"
