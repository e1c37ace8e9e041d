"""Inbox dedupe: a consumer applies each event at most once, in the same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from overpush.db import InsertIgnore
from overpush.events import Event
from overpush.models import ProcessedEvent
from overpush.runtime import Runtime

_RECORD = InsertIgnore(ProcessedEvent, ["consumer", "event_id"])


async def first_time(session: AsyncSession, consumer: str, event: Event, rt: Runtime) -> bool:
    """Record that `consumer` applies `event` in this transaction; False if it already did."""
    result = await session.execute(_RECORD.on(session), {
        "consumer": consumer, "event_id": event.event_id, "processed_at": rt.clock.now()})
    return bool(getattr(result, "rowcount", 0))
