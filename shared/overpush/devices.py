"""Devices: the name rule, registration (tokens, re-registration, one row per token), and the
device JSON shape the Open Client API answers with."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import platforms
from overpush.crypto import new_key
from overpush.delivery import queue
from overpush.ids import digest
from overpush.models import ClientSession, Delivery, Device, User

# The one device-name rule: registration, renaming, message `device`, group members,
# subscriptions and e-mail aliases all check names with it.
DEVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,25}$")


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
    device.encryption_key = new_key() if encrypted and platforms.is_phone(os) else None
    return device.encryption_key


def may_take_over(existing: Device, os: str) -> bool:
    """Whether a registration may reuse another device row of the same name: a phone app
    reinstalled (on either phone platform) may; desktops keep spec §9's duplicate-name error."""
    return platforms.is_phone(os) and platforms.is_phone(existing.os)


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


def device_json(d: Device, u: User) -> dict[str, Any]:
    """A device's settings as the Open Client API answers them (download and settings)."""
    return {
        "name": d.name, "encryption_enabled": d.encryption_key is not None,
        "default_sound": u.default_sound,
        "always_use_default_sound": d.always_use_default_sound,
        "default_high_priority_sound": u.default_sound,
        "always_use_default_high_priority_sound": False, "dismissal_sync_enabled": False,
    }


async def delete_device(session: AsyncSession, device: Device) -> None:
    """Delete a device with its queue, and every message no other device still waits for."""
    waiting = list((await session.scalars(
        select(Delivery.message_id).where(Delivery.device_id == device.id)
    )).all())
    await queue.lock_messages(session, waiting)
    await session.execute(delete(Delivery).where(Delivery.device_id == device.id))
    await session.execute(delete(Device).where(Device.id == device.id))
    # The secret that registered it stays valid (log-out ends it), tied to no device now.
    await session.execute(update(ClientSession).where(ClientSession.device_id == device.id)
                          .values(device_id=None))
    await queue.purge_messages(session, waiting)


async def count_of(session: AsyncSession, user_id: int) -> int:
    """How many devices the user has (enabled or not), for the per-user cap."""
    n = await session.scalar(select(func.count()).select_from(Device)
                             .where(Device.user_id == user_id))
    return int(n or 0)


async def acknowledging_name(session: AsyncSession, user_id: int, device_id: str | None,
                             secret: str) -> str:
    """The device that acknowledges: the one named by `device_id` when the client sends it,
    else the device registered with this secret (clients send just the secret), else the
    user's only device; "" when none of these says."""
    if device_id:
        return await session.scalar(select(Device.name).where(
            Device.user_id == user_id, Device.public_id == device_id.strip())) or ""
    tied: str | None = await session.scalar(
        select(Device.name).join(ClientSession, ClientSession.device_id == Device.id)
        .where(ClientSession.secret_digest == digest(secret), Device.user_id == user_id))
    if tied is not None:
        return tied
    names = list((await session.scalars(
        select(Device.name).where(Device.user_id == user_id).limit(2))).all())
    return names[0] if len(names) == 1 else ""
