"""In-process bus for the single-machine default: asyncio queues, one per consumer group."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from overpush.bus import Handler
from overpush.events import Event

log = logging.getLogger(__name__)

# A failing handler gets the event again after these delays, then it is dead-lettered
# (kept in `dead` and logged) rather than retried forever.
RETRY_DELAYS = (0.05, 0.2, 1.0, 2.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0)


@dataclass
class _Group:
    handler: Handler
    keys: frozenset[str]
    queue: asyncio.Queue[tuple[Event, int]] = field(default_factory=asyncio.Queue)
    workers: list[asyncio.Task[None]] = field(default_factory=list)


class MemoryBus:
    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self.dead: list[tuple[str, Event]] = []

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        for group in self._groups.values():
            for task in group.workers:
                task.cancel()
        for task in list(self._pending):
            task.cancel()
        tasks = [t for g in self._groups.values() for t in g.workers] + list(self._pending)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._groups.clear()

    async def healthy(self) -> bool:
        return True

    async def publish(self, event: Event) -> None:
        for group in self._groups.values():
            if event.routing_key in group.keys:
                group.queue.put_nowait((event, 0))

    async def subscribe(
        self,
        group: str,
        events: Sequence[type[Event]],
        handler: Handler,
        *,
        broadcast: bool = False,
        concurrency: int = 64,
    ) -> None:
        # Broadcast subscribers each get their own group, so each hears every event.
        name = f"{group}#{len(self._groups)}" if broadcast else group
        if name in self._groups:
            raise ValueError(f"group {name!r} already has a subscriber in this process")
        g = _Group(handler, frozenset(e.routing_key for e in events))
        self._groups[name] = g
        g.workers = [
            asyncio.create_task(self._work(name, g), name=f"bus:{name}:{i}")
            for i in range(concurrency)
        ]

    async def _work(self, name: str, g: _Group) -> None:
        while True:
            event, attempt = await g.queue.get()
            try:
                await g.handler(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                if attempt >= len(RETRY_DELAYS):
                    log.exception("event %s dead-lettered by %s", event.event_id, name)
                    self.dead.append((name, event))
                    continue
                log.warning("handler %s failed on %s; retrying", name, event.event_id,
                            exc_info=True)
                self._later(RETRY_DELAYS[attempt], g, event, attempt + 1)

    def _later(self, delay: float, g: _Group, event: Event, attempt: int) -> None:
        async def requeue() -> None:
            await asyncio.sleep(delay)
            g.queue.put_nowait((event, attempt))

        task = asyncio.create_task(requeue())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
