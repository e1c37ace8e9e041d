"""Counts admitted messages per application per day (US Central), for usage reports."""

from __future__ import annotations

from overpush import quota
from overpush.events import Event, MessageAccepted
from overpush.inbox import first_time
from overpush.runtime import Runtime


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
        async with rt.sessions() as session, session.begin():
            if not await first_time(session, "quota", event, rt):
                return
            await quota.count_daily(session, event.app_id, rt.clock.now(),
                                    len(event.message_ids))
