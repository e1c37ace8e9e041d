"""Helpers for the licensing tests: an enforcing server on a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from overpush.clock import FixedClock
from overpush.db import migrate
from overpush.models import Delivery, Message
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import func, select

from services.runner import Runner, registry
from tests.clients import DesktopDevice

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def enforcing(settings: Settings) -> AsyncIterator[tuple[Runner, FixedClock]]:
    """Every service with licensing enforced (the tests' rule; installations default off)."""
    clock = FixedClock(T0)
    enforced = settings.model_copy(update={"licensing_enforced": True})
    runner = Runner(Runtime.build(enforced, clock=clock), list(registry()))
    if not settings.is_sqlite:
        await migrate(runner.rt.engine)
    await runner.start()
    yield runner, clock
    await runner.stop()


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


__all__ = ["T0", "enforcing", "send", "user_object"]
