"""`overpush admin outbox list|replay`: see and resend outbox rows whose publish failed.

The relay sets such a row aside on its own schedule (up to an hour between attempts) and
never deletes it; once the operator fixed the cause (a consumer deployed, a bug fixed), replay
makes the rows due at once and the running relay publishes them within its sweep interval.
"""

from __future__ import annotations

from typing import Any

from overpush.models import OutboxEvent
from overpush.runtime import Runtime
from sqlalchemy import func, select, update

from services.admin.lookup import refuse

LIST_LIMIT = 1000  # the oldest set-aside rows; `total` says how many there are in all


async def list_rows(rt: Runtime) -> dict[str, Any]:
    """The rows whose publish failed at least once, oldest first, with why and when next."""
    async with rt.sessions() as session:
        rows = (await session.scalars(
            select(OutboxEvent).where(OutboxEvent.attempts > 0)
            .order_by(OutboxEvent.id).limit(LIST_LIMIT))).all()
        total = len(rows) if len(rows) < LIST_LIMIT else await _count(rt)
    return {"total": total, "rows": [{
        "id": r.id, "event_id": r.event_id, "routing_key": r.routing_key,
        "created_at": r.created_at.isoformat(), "attempts": r.attempts,
        "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
        "last_error": r.last_error,
    } for r in rows]}


async def _count(rt: Runtime) -> int:
    async with rt.sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.attempts > 0)) or 0)


async def replay(rt: Runtime, ids: list[int]) -> dict[str, Any]:
    """Make set-aside rows (all of them, or those `ids`) due at once; the attempt count stays,
    so a row that fails again backs off from where it was."""
    query = update(OutboxEvent).where(OutboxEvent.attempts > 0)
    if ids:
        query = query.where(OutboxEvent.id.in_(ids))
    async with rt.sessions() as session, session.begin():
        result = await session.execute(query.values(next_attempt_at=None))
    replayed = int(getattr(result, "rowcount", 0) or 0)
    if ids and replayed != len(set(ids)):
        raise refuse(f"{replayed} of {len(set(ids))} rows replayed: the others are not set "
                     "aside (published meanwhile, or no such row)")
    return {"replayed": replayed}
