"""Counts admitted messages per application per day (US Central), for usage reports.

Events are counted in batches: every MessageAccepted that arrives while a batch waits for
the database joins it (overpush.batching), so a burst costs one transaction and one UPDATE
per application and day, not three statements and a commit per event. Each event is still
recorded in the inbox in that transaction (a redelivered one counts nothing), and its
handler returns, so the bus acknowledges it, only once the batch is committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from overpush.batching import Batcher
from overpush.db import InsertIgnore, table_of
from overpush.events import Event, MessageAccepted
from overpush.inbox import first_time
from overpush.models import DailyUsage
from overpush.quota import CENTRAL
from overpush.runtime import Runtime
from sqlalchemy import bindparam, update

# Built once: this runs for every accepted batch.
_DAY_ROW = InsertIgnore(DailyUsage, ["app_id", "day"])
_T = table_of(DailyUsage)
_COUNT = (update(_T).where(_T.c.app_id == bindparam("b_app"), _T.c.day == bindparam("b_day"))
          .values(messages=_T.c.messages + bindparam("n")))
# Events per transaction: the consumer's concurrency bounds it anyway (RabbitMQ's prefetch).
BATCH = 64


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
        day = rt.clock.now().astimezone(CENTRAL).date()
        async with rt.sessions() as session, session.begin():
            await session.connection()  # what arrives while we wait for it joins this batch
            events = take()
            per_app: Counter[int] = Counter()
            for event in events:
                if await first_time(session, "quota", event, rt):
                    per_app[event.app_id] += len(event.message_ids)
            for app_id in sorted(per_app):  # a fixed order: two batches never deadlock
                await session.execute(_DAY_ROW.on(session),
                                      {"app_id": app_id, "day": day, "messages": 0})
                await session.execute(_COUNT, {"b_app": app_id, "b_day": day,
                                               "n": per_app[app_id]})
        return [None] * len(events)
