"""Helpers for receipts tests: every service in-process on a controllable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from overpush.clock import FixedClock
from overpush.settings import Settings

from services.runner import Runner
from testkit.servers import running

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def fast(settings: Settings, **extra: object) -> Settings:
    """Short tick, and callbacks allowed to reach a receiver on loopback."""
    return settings.model_copy(update={
        "receipts_tick_interval": 0.02, "callback_allow_private": True, **extra,
    })


@asynccontextmanager
async def clocked_server(settings: Settings, clock: FixedClock,
                         names: list[str] | None = None) -> AsyncIterator[Runner]:
    async with running(settings, clock=clock, names=names) as runner:
        yield runner
