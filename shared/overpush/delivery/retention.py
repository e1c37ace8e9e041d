"""Retention: messages whose ttl ran out, and messages no device synced within 21 days, go.

Syncing deletes a device's messages at once (update_highest_message); this job deletes what
is never synced. Each pass is a series of bounded DELETEs (so no lock is held long), and on
PostgreSQL each batch skips rows another replica is deleting (FOR UPDATE SKIP LOCKED), so any
number of dispatchers can run it. The dispatcher service runs `sweep` on its interval.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import delivery_status
from overpush.models import Delivery, Message
from overpush.runtime import Runtime

log = logging.getLogger(__name__)
# Told, in the deleting transaction, which rows a batch deleted (the status of their devices).
Marker = Callable[[AsyncSession, Sequence[Any]], Awaitable[None]]


@dataclass
class Swept:
    expired: int = 0
    deliveries: int = 0
    messages: int = 0


async def sweep(rt: Runtime) -> Swept:
    now = rt.clock.now()
    cutoff = now - timedelta(days=rt.settings.retention_days)
    out = Swept()
    unsynced = delivery_status.not_synced(rt.settings.retention_days)

    # Expired messages go with their queue rows (ON DELETE CASCADE); the devices that had not
    # downloaded them get a `failed` status, in the same transaction.
    async def ttl_ran_out(session: AsyncSession, rows: Sequence[Any]) -> None:
        await delivery_status.expired_messages(session, [r[0] for r in rows],
                                               delivery_status.EXPIRED_TTL, now)

    async def never_synced(session: AsyncSession, rows: Sequence[Any]) -> None:
        await delivery_status.expired_on_devices(session, [(r[0], r[1]) for r in rows],
                                                 unsynced, now)

    out.expired = await _drain(rt, Message, select(Message.id).where(Message.expires_at <= now),
                               (Message.id,), ttl_ran_out)
    out.deliveries = await _drain(
        rt, Delivery, select(Delivery.id).where(Delivery.created_at < cutoff),
        (Delivery.message_id, Delivery.device_id), never_synced)
    # A message that no device waits for any more, long handed off.
    out.messages = await _drain(rt, Message, select(Message.id).where(
        Message.dispatched_at < cutoff, ~exists().where(Delivery.message_id == Message.id)))
    if out.expired or out.deliveries or out.messages:
        log.info("retention deleted %d expired messages, %d unsynced deliveries, %d messages",
                 out.expired, out.deliveries, out.messages)
    return out


async def _drain(rt: Runtime, table: Any, ids: Select[Any], returning: Sequence[Any] = (),
                 deleted: Marker | None = None) -> int:
    """DELETE the rows `ids` selects, `retention_batch` per transaction, until none are left;
    `deleted` gets each batch's `returning` columns in that transaction."""
    total = 0
    batch = rt.settings.retention_batch
    query = ids.limit(batch)
    if not rt.settings.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    while True:
        async with rt.sessions() as session, session.begin():
            stmt = delete(table).where(table.id.in_(query))
            if deleted is None:
                result = await session.execute(stmt)
                n = int(getattr(result, "rowcount", 0) or 0)
            else:
                rows = (await session.execute(stmt.returning(*returning))).all()
                await deleted(session, rows)
                n = len(rows)
        total += n
        if n < batch:
            return total
