"""Glances (spec §7): the small widget fields a sender sets per user and device ("" for all
of the user's devices), and the one a device shows. The api's glances routes parse, limit
and nudge; the rows are written and read here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.db import insert_ignore
from overpush.models import Device, Glance


async def store(session: AsyncSession, user_id: int, device: str, fields: dict[str, Any],
                now: datetime) -> list[str]:
    """Set the glance of this user's `device` ("" for all), in the caller's transaction;
    the public ids of the devices to nudge (the named one, or all enabled ones when it
    names none of them)."""
    await session.execute(insert_ignore(
        session, Glance, [{"user_id": user_id, "device": device, "updated_at": now}],
        ["user_id", "device"],
    ))
    await session.execute(update(Glance).where(
        Glance.user_id == user_id, Glance.device == device
    ).values(**fields, updated_at=now))
    query = select(Device.public_id).where(Device.user_id == user_id, Device.enabled)
    named = list((await session.scalars(query.where(Device.name == device))).all()) \
        if device else []
    return named or list((await session.scalars(query)).all())


async def shown_on(session: AsyncSession, user_id: int, device: str) -> Glance | None:
    """The glance a device shows: its own, if one was sent to it by name, else the user's."""
    rows = {g.device: g for g in (await session.scalars(select(Glance).where(
        Glance.user_id == user_id, Glance.device.in_(["", device])
    ))).all()}
    return rows.get(device) or rows.get("")
