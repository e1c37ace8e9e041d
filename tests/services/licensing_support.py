"""Helpers for the licensing tests: the clock's start, a send that waits for the dispatcher,
and the user object a device is shown."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from overpush.models import Delivery, Message
from overpush.runtime import Runtime
from sqlalchemy import func, select

from testkit.device import DesktopDevice

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


async def send(rt: Runtime, http: httpx.AsyncClient, base_url: str, token: str, user: str,
               message: str) -> int:
    """Send and wait until the dispatcher has handled it; returns how many devices got it."""
    r = await http.post(f"{base_url}/1/messages.json",
                        data={"token": token, "user": user, "message": message})
    assert r.status_code == 200, r.text

    async with asyncio.timeout(15):  # a hang guard, not a timing check
        while True:
            async with rt.sessions() as session:
                left = await session.scalar(select(func.count()).select_from(Message).where(
                    Message.body == message, Message.dispatched_at.is_(None)))
            if left == 0:
                break
            await asyncio.sleep(0.02)
    async with rt.sessions() as session:
        n = await session.scalar(select(func.count()).select_from(Delivery).join(
            Message, Message.id == Delivery.message_id).where(Message.body == message))
    return int(n or 0)


async def user_object(dev: DesktopDevice, http: httpx.AsyncClient) -> dict[str, object]:
    r = await http.get(f"{dev.base_url}/1/messages.json",
                       params={"secret": dev.secret, "device_id": dev.device_id})
    assert r.status_code == 200, r.text
    user: dict[str, object] = r.json()["user"]
    return user


