"""In-process bus for the single-machine default: one asyncio queue per group and event type.

It mirrors the RabbitMQ topology (a queue per `<group>.<routing_key>`, competing workers on
each), so both buses keep one contract (see overpush.bus.Bus). Queues hold the event's bytes
as RabbitMQ carries them (events.encode), and each delivery decodes a fresh copy: a field
that does not survive serialization fails here as it would on RabbitMQ.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count

from overpush.bus import Gap, Handler, Unroutable, check_address
from overpush.events import Event, decode, encode

log = logging.getLogger(__name__)

# A failing handler gets the event again after these delays, then it is dead-lettered
# (kept in `dead` and logged) rather than retried forever.
RETRY_DELAYS = (0.05, 0.2, 1.0, 2.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0)
# How long close() lets handlers finish what is queued: a clean stop should not leave work
# to the start-up recovery (which cannot redo everything, e.g. usage counts).
DRAIN_TIMEOUT = 5.0


@dataclass
class _Queue:
    name: str
    routing_key: str
    address: str | None = None  # a broadcast subscriber's name: it also hears events to it
    items: asyncio.Queue[tuple[bytes, int]] = field(default_factory=asyncio.Queue)


class MemoryBus:
    def __init__(self, *, retry_delays: Sequence[float] = RETRY_DELAYS,
                 drain_timeout: float = DRAIN_TIMEOUT) -> None:
        self._retry_delays = tuple(retry_delays)
        self._drain_timeout = drain_timeout
        self._queues: dict[str, _Queue] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()
        self._ids = count()
        self._open = False
        self.dead: list[tuple[str, Event]] = []

    async def start(self) -> None:
        self._open = True

    async def close(self) -> None:
        if self._open and self._workers:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._drain_timeout):
                    await asyncio.gather(*(q.items.join() for q in self._queues.values()))
        self._open = False
        tasks = [*self._workers, *self._pending]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()

    async def healthy(self) -> bool:
        return self._open

    async def publish(self, event: Event) -> None:
        if not self._open:
            raise ConnectionError("the in-process bus is closed")
        address = check_address(event)
        queues = [q for q in self._queues.values() if q.routing_key == event.routing_key
                  and (address is None or q.address == address)]
        if not queues and event.durable:
            raise Unroutable(f"no group subscribes to {event.routing_key}")
        body = encode(event)
        for q in queues:
            q.items.put_nowait((body, 0))
        # The consumers just woken run before the publisher goes on, as they would while a
        # broker confirmed: a nudge reaches the socket before the dispatcher's bookkeeping.
        await asyncio.sleep(0)

    async def subscribe(
        self,
        group: str,
        events: Sequence[type[Event]],
        handler: Handler,
        *,
        broadcast: bool = False,
        concurrency: int = 64,
        on_gap: Gap | None = None,  # never called: nothing is missed in-process
        address: str | None = None,
    ) -> None:
        if not self._open:
            raise ConnectionError("the in-process bus is not started")
        for ev in events:
            # As on RabbitMQ: a group's subscribers share its queue and compete for events,
            # while each broadcast subscriber has a queue of its own.
            name = f"{group}.{ev.routing_key}"
            if broadcast:
                name = f"{name}#{next(self._ids)}"
            q = self._queues.setdefault(
                name, _Queue(name, ev.routing_key, address if broadcast else None))
            self._workers.extend(
                asyncio.create_task(self._work(q, handler), name=f"bus:{name}:{i}")
                for i in range(concurrency)
            )

    async def _work(self, q: _Queue, handler: Handler) -> None:
        while True:
            body, attempt = await q.items.get()
            try:
                event = decode(q.routing_key, body)
            except Exception:
                log.exception("undecodable event on %s; dead-lettered", q.name)
                q.items.task_done()
                continue
            try:
                await handler(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                if attempt >= len(self._retry_delays):
                    log.exception("event %s dead-lettered by %s", event.event_id, q.name)
                    self.dead.append((q.name, event))
                    continue
                log.warning("handler %s failed on %s; retrying", q.name, event.event_id,
                            exc_info=True)
                self._later(self._retry_delays[attempt], q, body, attempt + 1)
            finally:
                q.items.task_done()

    def _later(self, delay: float, q: _Queue, body: bytes, attempt: int) -> None:
        async def requeue() -> None:
            await asyncio.sleep(delay)
            q.items.put_nowait((body, attempt))

        task = asyncio.create_task(requeue())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
