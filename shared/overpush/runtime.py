"""The Runtime every service receives: settings, database, bus, clock, metrics. No globals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from overpush.batching import Batcher
from overpush.bus import Bus, make_bus
from overpush.clock import Clock, SystemClock
from overpush.db import make_engine, make_sessionmaker
from overpush.events import Event
from overpush.metrics import Metrics
from overpush.passwords import Passwords
from overpush.settings import Settings

# Requests per intake transaction: enough to share the costs, few enough that one slow
# batch keeps few requests waiting.
INTAKE_BATCH = 64
# A batch waits this long, at most, for as many requests as the recent batches held
# (overpush.batching). On PostgreSQL a batch is otherwise taken the moment it starts (an idle
# pooled connection costs no wait). On SQLite, where a batch waits for the one connection,
# the requests that arrived meanwhile still made batches of ~24 of 32 clients; whole ones
# took the ingest bench from 0.43-0.48x to 0.51-0.53x the bare endpoint (bench/README.md).
INTAKE_LINGER = 0.002


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus
    clock: Clock
    metrics: Metrics
    passwords: Passwords
    # Set after a commit that staged outbox events, so the relay publishes them at once.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Events this process committed, handed straight to its running outbox relay, which
    # publishes them without reading them back (None: no relay runs here; overpush.outbox_relay).
    outbox_handoff: list[Event] | None = None
    # Group commit for the intake: requests that arrive together share one transaction.
    intake: Batcher[Any, Any] = field(
        default_factory=lambda: Batcher(INTAKE_BATCH, linger=INTAKE_LINGER))

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None,
              bus: Bus | None = None) -> Runtime:
        engine = make_engine(settings.database_url, settings.db_pool_size,
                             settings.db_max_overflow)
        rt = cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            bus=bus or make_bus(settings.bus_url, settings.bus_prefix),
            clock=clock or SystemClock(),
            metrics=Metrics(),
            passwords=Passwords(settings.password_hash_concurrency),
        )
        return rt

    async def close(self) -> None:
        await self.bus.close()
        await self.engine.dispose()


class Service(Protocol):
    """A deployable unit: `overpush run <name>` runs one, `overpush run` runs them all."""

    name: str

    async def start(self, rt: Runtime) -> None: ...

    async def stop(self) -> None: ...
