"""Retention: messages whose ttl ran out, and messages no device synced within 21 days, go.

Syncing deletes a device's messages at once (update_highest_message); this job deletes what
is never synced. Each pass is a series of bounded DELETEs (so no lock is held long), and on
PostgreSQL each batch skips rows another replica is deleting (FOR UPDATE SKIP LOCKED), so any
number of dispatchers can run it. The dispatcher service runs `sweep` on its interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, select

from overpush.models import Delivery, Message
from overpush.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class Swept:
    expired: int = 0
    deliveries: int = 0
    messages: int = 0


async def sweep(rt: Runtime) -> Swept:
    now = rt.clock.now()
    cutoff = now - timedelta(days=rt.settings.retention_days)
    out = Swept()
    # Expired messages go with their queue rows (ON DELETE CASCADE).
    out.expired = await _drain(rt, Message, select(Message.id).where(Message.expires_at <= now))
    out.deliveries = await _drain(
        rt, Delivery, select(Delivery.id).where(Delivery.created_at < cutoff))
    # A message that no device waits for any more, long handed off.
    out.messages = await _drain(rt, Message, select(Message.id).where(
        Message.dispatched_at < cutoff, ~exists().where(Delivery.message_id == Message.id)))
    if out.expired or out.deliveries or out.messages:
        log.info("retention deleted %d expired messages, %d unsynced deliveries, %d messages",
                 out.expired, out.deliveries, out.messages)
    return out


async def _drain(rt: Runtime, table: Any, ids: Select[Any]) -> int:
    """DELETE the rows `ids` selects, `retention_batch` per transaction, until none are left."""
    total = 0
    batch = rt.settings.retention_batch
    query = ids.limit(batch)
    if not rt.settings.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    while True:
        async with rt.sessions() as session, session.begin():
            result = await session.execute(delete(table).where(table.id.in_(query)))
        n = int(getattr(result, "rowcount", 0) or 0)
        total += n
        if n < batch:
            return total
