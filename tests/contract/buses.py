"""The buses the bus contract tests use (test_bus.py, test_bus_close.py): started buses of
either kind, and what the tests wait with. The fixtures `kind` and `buses` are in conftest.py."""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
from overpush.bus import Bus
from overpush.bus.memory import MemoryBus
from overpush.bus.rabbitmq import RabbitBus
from overpush.events import EVENT_TYPES, DevicesNudged, Event

from testkit.backends import RABBIT
from tests.contract.samples import sample


class Buses:
    """Hands out started buses of one kind and closes them all afterwards."""

    def __init__(self, kind: str, prefix: str) -> None:
        self.kind, self.prefix = kind, prefix
        self._open: list[Bus] = []

    async def connect(self, **tuning: Any) -> Bus:
        """A started bus; `tuning` sets the constructor's knobs that both buses have
        (drain_timeout) or, with give_up_soon=True, tries a failing event a few times,
        quickly, then parks it."""
        if self.kind == "memory" and self._open:
            return self._open[0]
        if tuning.pop("give_up_soon", False):
            tuning.update({"retry_delays": (0.01, 0.01, 0.01)} if self.kind == "memory"
                          else {"delivery_limit": 3, "retry_delay_cap": 0.01})
        bus: Bus = (MemoryBus(**tuning) if self.kind == "memory"
                    else RabbitBus(RABBIT, self.prefix, **tuning))
        await bus.start()
        self._open.append(bus)
        return bus

    async def close(self) -> None:
        for bus in self._open:
            await bus.close()


# Every group these tests subscribe; their RabbitMQ queues are deleted afterwards.
GROUPS = ("roundtrip", "workers", "dispatch", "count", "flaky", "late", "slow")


async def delete_queues(prefix: str, groups: tuple[str, ...]) -> None:
    conn = await aio_pika.connect(RABBIT)
    try:
        channel = await conn.channel()
        for group in groups:
            for key in EVENT_TYPES:
                await channel.queue_delete(f"{prefix}.{group}.{key}")
    finally:
        await conn.close()


async def until_health(bus: Bus, healthy: bool, timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if await bus.healthy() is healthy:
                return
            await asyncio.sleep(0.01)


async def settle() -> None:
    """Give stray duplicates a moment to show up before counting."""
    await asyncio.sleep(0.3)


def broadcast_nudge(n: int) -> Event:
    """A nudge sample addressed to no one in particular: every api instance hears it."""
    return sample(DevicesNudged, n).model_copy(update={"instance": None})

