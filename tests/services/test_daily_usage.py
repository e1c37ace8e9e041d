"""The quota consumer: accepted messages counted per application and US Central day, each
event once however often it is delivered."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from overpush.clock import FixedClock
from overpush.events import MessageAccepted
from overpush.models import App, DailyUsage
from overpush.runtime import Runtime
from sqlalchemy import select

from services.quota.service import QuotaService
from tests.factories import make_app, make_user


async def _days(rt: Runtime, app_id: int) -> dict[date, int]:
    async with rt.sessions() as session:
        rows = (await session.execute(select(DailyUsage.day, DailyUsage.messages)
                                      .where(DailyUsage.app_id == app_id))).all()
    return {day: messages for day, messages in rows}


async def test_each_event_counts_once_on_its_central_day(runtime: Runtime) -> None:
    token = await make_app(runtime, await make_user(runtime))
    async with runtime.sessions() as session:
        app_id = await session.scalar(select(App.id).where(App.token == token))
    assert app_id is not None
    clock = FixedClock(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # 21:00 on 30 Nov in Chicago
    rt = replace(runtime, clock=clock)
    quota = QuotaService()
    await quota.start(rt)
    try:
        first = MessageAccepted(message_ids=[1, 2, 3], app_id=app_id, priority=0)
        await quota.handle(first)
        await quota.handle(first)  # redelivered: at least once on the bus, counted once
        assert await _days(rt, app_id) == {date(2026, 11, 30): 3}
        await quota.handle(MessageAccepted(message_ids=[4], app_id=app_id, priority=0))
        clock.advance(3 * 3600)  # midnight in Chicago: a new day's row
        await quota.handle(MessageAccepted(message_ids=[5, 6], app_id=app_id, priority=0))
        assert await _days(rt, app_id) == {date(2026, 11, 30): 4, date(2026, 12, 1): 2}
    finally:
        await quota.stop()
