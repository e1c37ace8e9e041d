"""Open Client authentication: a session secret identifies a user; a device must be theirs."""

from __future__ import annotations

import re

from overpush.errors import ApiError, E
from overpush.ids import digest
from overpush.models import ClientSession, Device, User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

DEVICE_ID = re.compile(r"^[a-z0-9]{1,40}\Z")


async def user_for_secret(session: AsyncSession, secret: str | None) -> User:
    if not secret:
        raise ApiError.of(E.SECRET_INVALID)
    # An unconfirmed account's secret (from before migration 0110: log-in now refuses them)
    # works only once the address is confirmed.
    user = await session.scalar(
        select(User).join(ClientSession, ClientSession.user_id == User.id)
        .where(ClientSession.secret_digest == digest(secret),
               User.email_confirmed_at.is_not(None))
    )
    if user is None:
        raise ApiError.of(E.SECRET_INVALID)
    return user


def plausible_device_id(value: str | None) -> bool:
    """Could this be a device id we issued (40 lowercase alphanumerics)? Anything else cannot
    name a device, and must not reach the database (PostgreSQL refuses NUL in text)."""
    return value is not None and DEVICE_ID.match(value) is not None


async def device_of(session: AsyncSession, user: User, device_id: str | None) -> Device:
    if not plausible_device_id(device_id):
        raise ApiError.of(E.DEVICE_NOT_FOUND)
    device = await session.scalar(
        select(Device).where(Device.public_id == (device_id or ""), Device.user_id == user.id)
    )
    if device is None:
        raise ApiError.of(E.DEVICE_NOT_FOUND)
    return device
