"""A loop stops when asked even if the cancellation reaches it as an ordinary error, as
asyncpg's connect can turn it into one (a mail gateway's loop once kept a test's server from
ever stopping that way)."""

from __future__ import annotations

import asyncio

from overpush.background import Repeat


async def test_a_repeat_whose_step_turns_cancellation_into_an_error_still_stops() -> None:
    started = asyncio.Event()

    async def step() -> bool:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("connection attempt failed") from None
        return False

    loop = Repeat("swallowing", step, lambda: asyncio.sleep(3600), pause=0.0)
    loop.start()
    await started.wait()
    await asyncio.wait_for(loop.stop(), 5)  # before: the error was retried, stop waited forever



async def test_a_repeat_whose_cancellation_was_dropped_still_stops() -> None:
    """Python 3.11's wait_for can drop a cancellation: the loop then goes round again, and
    must notice at the top of its turn."""
    turns = 0
    in_step = asyncio.Event()

    async def step() -> bool:
        nonlocal turns
        turns += 1
        in_step.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return False  # dropped, as wait_for can
        return False

    loop = Repeat("dropping", step, lambda: asyncio.sleep(0), pause=0.0)
    loop.start()
    await in_step.wait()
    await asyncio.wait_for(loop.stop(), 5)
    assert turns == 1
