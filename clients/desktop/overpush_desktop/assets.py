"""Files a notification needs, kept in the cache folder: app icons (fetched once), attachments
(fetched before the message is deleted on the server) and sounds."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import httpx

from overpush_desktop import sounds
from overpush_desktop.api import ApiError, OpenClient, TooLarge
from overpush_desktop.config import Login, write_private

log = logging.getLogger(__name__)
MAX_ATTACHMENT = 5 * 1024 * 1024 + 1024  # Pushover's 5 MiB, and a little slack
MAX_ICON = 1024 * 1024
KEEP_ATTACHMENTS = 100
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
AUDIO_TYPES = {"audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav"}
FAILURES = (ApiError, TooLarge, ValueError, httpx.HTTPError, OSError)


class Assets:
    def __init__(self, client: OpenClient, login: Login, cache: Path) -> None:
        self.client = client
        self.login = login
        # One folder per server: icon 3 on one server is not icon 3 on another.
        self.root = cache / hashlib.sha256(login.server.encode()).hexdigest()[:16]

    async def icon(self, icon: str | None) -> Path | None:
        if not icon or not icon.isdigit():
            return None
        path = self.root / "icons" / f"{icon}.png"
        if path.exists():
            return path
        try:
            data, ctype = await self.client.fetch(f"{self.client.server}/icons/{icon}.png",
                                                  MAX_ICON)
        except FAILURES as exc:
            log.warning("icon %s: %s", icon, exc)
            return None
        if not ctype.startswith("image/png"):
            return None
        write_private(path, data)
        return path

    async def attachment(self, message: dict[str, Any]) -> Path | None:
        """Fetch the message's image (with this device's secret) and keep it."""
        url = message.get("attachment")
        if not isinstance(url, str):
            return None
        try:
            data, ctype = await self.client.fetch(url, MAX_ATTACHMENT, params={
                "secret": self.login.secret, "device_id": self.login.device_id})
        except FAILURES as exc:
            log.warning("attachment of message %s: %s", message.get("id"), exc)
            return None
        ext = IMAGE_TYPES.get(ctype.split(";")[0].strip())
        if ext is None:
            return None
        folder = self.root / "attachments"
        path = folder / f"{int(message.get('umid') or 0)}-{int(message.get('id') or 0)}.{ext}"
        write_private(path, data)
        _prune(folder, KEEP_ATTACHMENTS)
        return path

    async def sound(self, name: str, app_id: object) -> Path | None:
        """A playable file for the sound `name` of the application `app_id`."""
        if sounds.is_builtin(name):
            if not sounds.TONES[name]:
                return None
            path = self.root.parent / "sounds" / f"{name}.wav"
            if not path.exists():
                write_private(path, sounds.synthesise(name))
            return path
        if not sounds.valid_name(name) or not str(app_id).isdigit():
            return None
        folder = self.root / "sounds"
        for known in folder.glob(f"{app_id}-{name}.*") if folder.exists() else ():
            return known
        try:
            data, ctype = await self.client.fetch(
                f"{self.client.server}/sounds/{app_id}/{name}.mp3", sounds.MAX_SOUND_BYTES)
        except FAILURES as exc:
            log.warning("sound %s: %s", name, exc)
            return None
        ext = AUDIO_TYPES.get(ctype.split(";")[0].strip())
        if ext is None:
            return None
        path = folder / f"{app_id}-{name}.{ext}"
        write_private(path, data)
        return path


def _prune(folder: Path, keep: int) -> None:
    files = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)
