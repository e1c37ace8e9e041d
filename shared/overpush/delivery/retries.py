"""The retry schedule in the database: due phone pushes are claimed under a lease, and the
claims that made no push are let go.

Retries live in deliveries.push_retry_at rather than in memory or in broker queues: they
survive restarts, replicas share them (FOR UPDATE SKIP LOCKED on PostgreSQL), they never hold
up the MessageAccepted consumer, and a retry disappears by itself when the device syncs (its
delivery row is deleted), which is when a push has nothing left to say. The dispatcher's retry
loop (services/dispatcher/retries.py) claims, pushes, records the outcomes and releases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from overpush.models import Delivery
from overpush.runtime import Runtime


@dataclass(frozen=True)
class Claim:
    due: int  # rows that were due, claimed or dropped
    ids: list[int]  # the deliveries claimed for one more try
    lease: datetime  # their push_retry_at until released or recorded


async def claim(rt: Runtime, batch: int) -> Claim | None:
    """Claim up to `batch` due retries; None when none is due. Rows whose tries are used up
    are dropped from the schedule instead."""
    now = rt.clock.now()
    # A claimed row is pushed back by a lease: if this process dies mid-send, another
    # (or this one, restarted) takes it up after the lease instead of never.
    lease = now + timedelta(seconds=rt.settings.push_timeout * 3 + 30)
    limit = rt.settings.push_max_attempts
    async with rt.sessions() as session, session.begin():
        query = (select(Delivery.id, Delivery.push_attempts)
                 .where(Delivery.push_retry_at <= now)
                 .order_by(Delivery.push_retry_at).limit(batch))
        if not rt.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = (await session.execute(query)).all()
        if not rows:
            return None
        ids = [r[0] for r in rows if r[1] < limit]
        spent = [r[0] for r in rows if r[1] >= limit]
        # Each claim counts as a try, so a push that crashes us (or hangs past its
        # lease) is still tried only push_max_attempts times.
        await session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
            push_retry_at=lease, push_attempts=Delivery.push_attempts + 1))
        await session.execute(
            update(Delivery).where(Delivery.id.in_(spent)).values(push_retry_at=None))
    return Claim(len(rows), ids, lease)


async def release(rt: Runtime, claimed: Claim) -> None:
    """Rows still under this claim's lease made no push (the device was disabled meanwhile,
    or lost its token): they are done."""
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Delivery).where(
            Delivery.id.in_(claimed.ids), Delivery.push_retry_at == claimed.lease
        ).values(push_retry_at=None))
