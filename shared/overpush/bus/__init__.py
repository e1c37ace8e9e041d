"""The bus seam: one contract, an in-process and a RabbitMQ implementation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from overpush.events import Event

Handler = Callable[[Event], Awaitable[None]]


class Bus(Protocol):
    """Publish events, and consume them as a named group.

    * `publish` returns only once the event is safely with the bus (RabbitMQ: confirmed).
    * Subscribers of one `group` compete for each event (one of them gets it); different
      groups each get every event. A handler that raises gets the event again later.
    * `broadcast=True` gives this subscriber every event, without durability: for
      fire-and-forget signals such as WebSocket nudges, where each api instance must hear all.
    """

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, event: Event) -> None: ...

    async def subscribe(
        self,
        group: str,
        events: Sequence[type[Event]],
        handler: Handler,
        *,
        broadcast: bool = False,
        concurrency: int = 64,
    ) -> None: ...

    async def healthy(self) -> bool: ...


def make_bus(url: str, prefix: str = "overpush") -> Bus:
    if url.startswith("memory:"):
        from overpush.bus.memory import MemoryBus

        return MemoryBus()
    if url.startswith(("amqp:", "amqps:")):
        from overpush.bus.rabbitmq import RabbitBus

        return RabbitBus(url, prefix)
    raise ValueError(f"unsupported bus URL {url!r}: use memory:// or amqp://")
