"""Phone registration rules: push-token checks, re-registration, one device row per token."""

from __future__ import annotations

import re

from overpush.crypto import new_key
from overpush.models import Device
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

PHONES = ("I", "A")  # iOS through APNs, Android through FCM
# APNs device tokens are 32 bytes in hex today; Apple says they may grow, so allow up to 100.
_APNS_TOKEN = re.compile(r"^[0-9A-Fa-f]{64,200}$")
# FCM registration tokens are opaque (~150-200 chars of base64url plus ':').
_FCM_TOKEN = re.compile(r"^[A-Za-z0-9_:.\-]{16,4096}$")


def valid_push_token(os: str, token: str) -> bool:
    return bool((_APNS_TOKEN if os == "I" else _FCM_TOKEN).match(token))


def register(device: Device, os: str, push_token: str | None, encrypted: bool) -> str | None:
    """Apply a (re-)registration to `device`; returns the new encryption key, if one was asked.

    Registering a phone's name again is what a reinstalled app does: it brings a new token,
    perhaps another platform, and re-enables a device that Apple or Google had reported gone.
    The old key is lost with the old install, so a new one is made (or none, if not asked).
    """
    device.os = os
    device.push_token = push_token
    device.enabled = True
    device.disabled_at = device.disabled_reason = device.disabled_notified_at = None
    device.encryption_key = new_key() if encrypted and os in PHONES else None
    return device.encryption_key


async def release_token_elsewhere(session: AsyncSession, device: Device) -> None:
    """A push token belongs to one app install; older rows holding it (another name, or the
    account the phone used before) must stop getting this phone's pushes."""
    if device.push_token is None:
        return
    await session.execute(
        update(Device)
        .where(Device.os == device.os, Device.push_token == device.push_token,
               Device.id != device.id)
        .values(push_token=None, enabled=False)
    )
