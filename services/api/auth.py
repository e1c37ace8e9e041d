"""Open Client authentication: a session secret identifies a user; a device must be theirs."""

from __future__ import annotations

from overpush.errors import ApiError, E
from overpush.ids import digest
from overpush.models import ClientSession, Device, User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


async def user_for_secret(session: AsyncSession, secret: str | None) -> User:
    if not secret:
        raise ApiError.of(E.SECRET_INVALID)
    user = await session.scalar(
        select(User).join(ClientSession, ClientSession.user_id == User.id)
        .where(ClientSession.secret_digest == digest(secret))
    )
    if user is None:
        raise ApiError.of(E.SECRET_INVALID)
    return user


async def device_of(session: AsyncSession, user: User, device_id: str | None) -> Device:
    device = await session.scalar(
        select(Device).where(Device.public_id == (device_id or ""), Device.user_id == user.id)
    )
    if device is None:
        raise ApiError.of(E.DEVICE_NOT_FOUND)
    return device
