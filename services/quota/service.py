"""Counts admitted messages per application per day (US Central), for usage reports.

Events are counted in batches: every MessageAccepted that arrives while a batch waits for
the database joins it (overpush.batching), so a burst costs one transaction and one count
per application, not three statements and a commit per event. Each event is still
recorded in the inbox in that transaction (a redelivered one counts nothing), and its
handler returns, so the bus acknowledges it, only once the batch is committed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence

from overpush import quota
from overpush.batching import Batcher
from overpush.events import Event, MessageAccepted
from overpush.inbox import first_time
from overpush.runtime import Runtime

# Events per transaction: the consumer's concurrency bounds it anyway (RabbitMQ's prefetch).
BATCH = 64
# Counting is bookkeeping: a batch waits this long for more events before it takes the
# database, so a burst costs fewer transactions, and on one machine (one connection) the
# count never runs between the dispatcher's commit and its nudge.
LINGER = 0.02  # seconds


class QuotaService:
    name = "quota"

    def __init__(self) -> None:
        self._rt: Runtime | None = None
        self._batches: Batcher[MessageAccepted, None] = Batcher(BATCH)

    async def start(self, rt: Runtime) -> None:
        self._rt = rt
        await rt.bus.subscribe("quota", [MessageAccepted], self.handle, concurrency=BATCH)

    async def stop(self) -> None:
        pass

    async def handle(self, event: Event) -> None:
        assert isinstance(event, MessageAccepted)
        await self._batches.submit(event, self._count)

    async def _count(self, take: Callable[[], list[MessageAccepted]]) -> Sequence[None]:
        rt = self._rt
        assert rt is not None
        await asyncio.sleep(LINGER)
        now = rt.clock.now()
        async with rt.sessions() as session, session.begin():
            await session.connection()  # what arrives while we wait for it joins this batch
            events = take()
            per_app: Counter[int] = Counter()
            for event in events:
                if await first_time(session, "quota", event, rt):
                    per_app[event.app_id] += len(event.message_ids)
            for app_id in sorted(per_app):  # a fixed order: two batches never deadlock
                await quota.count_daily(session, app_id, now, per_app[app_id])
        return [None] * len(events)
