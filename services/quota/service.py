"""Counts admitted messages per application per day (US Central), for usage reports."""

from __future__ import annotations

from overpush.db import insert_ignore
from overpush.events import Event, MessageAccepted
from overpush.inbox import first_time
from overpush.models import DailyUsage
from overpush.quota import CENTRAL
from overpush.runtime import Runtime
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession


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
            await session.execute(insert_ignore(
                session, DailyUsage, [{"app_id": event.app_id, "day": day, "messages": 0}],
                ["app_id", "day"],
            ))
            await session.execute(
                update(DailyUsage)
                .where(DailyUsage.app_id == event.app_id, DailyUsage.day == day)
                .values(messages=DailyUsage.messages + len(event.message_ids))
            )


async def usage_by_day(session: AsyncSession, app_id: int) -> list[tuple[str, int]]:
    rows = (await session.execute(
        select(DailyUsage.day, DailyUsage.messages)
        .where(DailyUsage.app_id == app_id).order_by(DailyUsage.day)
    )).all()
    return [(d.isoformat(), n) for d, n in rows]
