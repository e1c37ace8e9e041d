"""Counts admitted messages per application per day (US Central), for usage reports."""

from __future__ import annotations

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


class QuotaService:
    name = "quota"

    def __init__(self) -> None:
        self._rt: Runtime | None = None

    async def start(self, rt: Runtime) -> None:
        self._rt = rt
        await rt.bus.subscribe("quota", [MessageAccepted], self.handle, concurrency=8)

    async def stop(self) -> None:
        pass

    async def handle(self, event: Event) -> None:
        assert isinstance(event, MessageAccepted) and self._rt is not None
        rt = self._rt
        day = rt.clock.now().astimezone(CENTRAL).date()
        async with rt.sessions() as session, session.begin():
            if not await first_time(session, "quota", event, rt):
                return
            await session.execute(_DAY_ROW.on(session),
                                  {"app_id": event.app_id, "day": day, "messages": 0})
            await session.execute(_COUNT, {"b_app": event.app_id, "b_day": day,
                                           "n": len(event.message_ids)})

