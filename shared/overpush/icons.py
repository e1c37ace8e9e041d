"""Application icons: uploads checked and made a 72x72 PNG with Pillow, and placeholders."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, UnidentifiedImageError

from overpush.errors import ApiError, E

SIZE = 72
MAX_UPLOAD = 2 * 1024 * 1024
MAX_SIDE = 4096


class IconError(ApiError):
    """An upload that cannot be an icon; the dashboard shows its text."""


def normalise(data: bytes) -> bytes:
    """A square 72x72 PNG from an uploaded image, or IconError. Pillow's decompression-bomb
    check stays on; a huge declared size is refused before any pixel is decoded."""
    if len(data) > MAX_UPLOAD:
        raise IconError.of(E.ICON_TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in {"PNG", "JPEG", "GIF", "WEBP", "BMP"}:
                raise IconError.of(E.ICON_FORMAT)
            if max(probe.size) > MAX_SIDE:
                raise IconError.of(E.ICON_TOO_WIDE)
            probe.verify()
        with Image.open(io.BytesIO(data)) as original:
            rgba = original.convert("RGBA")
        side = min(rgba.size)
        left, top = (rgba.width - side) // 2, (rgba.height - side) // 2
        square = rgba.crop((left, top, left + side, top + side)).resize(
            (SIZE, SIZE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        square.save(out, "PNG", optimize=True)
        return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise IconError.of(E.ICON_UNREADABLE) from None


def placeholder(app_id: int) -> bytes:
    """A plain colour square, stable per application, for apps without an icon."""
    h = hashlib.sha256(str(app_id).encode()).digest()
    img = Image.new("RGBA", (SIZE, SIZE), (h[0] // 2 + 64, h[1] // 2 + 64, h[2] // 2 + 64, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
