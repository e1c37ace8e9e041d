"""Every service (or some) running in this process, as `overpush run` starts them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from overpush.clock import Clock
from overpush.db import migrate
from overpush.runtime import Runtime
from overpush.settings import Settings

from services.runner import Runner, registry


async def start(settings: Settings, *, clock: Clock | None = None,
                names: Sequence[str] | None = None) -> Runner:
    """Started services; stop them with `Runner.stop`. On PostgreSQL the database is migrated
    first, as `overpush migrate` does before a cluster starts (SQLite migrates at start)."""
    runner = Runner(Runtime.build(settings, clock=clock), list(names or registry()))
    if not settings.is_sqlite:
        await migrate(runner.rt.engine)
    try:
        await runner.start()
    except BaseException:
        await runner.stop()  # whatever did start, and the runtime
        raise
    return runner


@asynccontextmanager
async def running(settings: Settings, *, clock: Clock | None = None,
                  names: Sequence[str] | None = None) -> AsyncIterator[Runner]:
    """`start`, then stop when the block ends."""
    runner = await start(settings, clock=clock, names=names)
    try:
        yield runner
    finally:
        await runner.stop()
