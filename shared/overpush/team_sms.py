"""Emergency SMS for team members: schedule the timer with the receipt, decide at due time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.models import SmsAlert, Team, TeamMember

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(seconds=60)
SMS_CHARS = 300


async def schedule(session: AsyncSession, receipt_id: int, user_ids: Collection[int],
                   now: datetime) -> None:
    """One timer per recipient who is in a team that texts unacknowledged emergencies."""
    if not user_ids:
        return
    rows = (await session.execute(
        select(TeamMember.user_id, Team.sms_after_seconds)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(list(set(user_ids))),
               Team.sms_after_seconds.is_not(None))
    )).all()
    session.add_all([SmsAlert(receipt_id=receipt_id, user_id=uid, attempts=0,
                              due_at=now + timedelta(seconds=after or 0))
                     for uid, after in rows])


def decide(acknowledged: datetime | None, cancelled: datetime | None,
           phone: str | None, configured: bool) -> str | None:
    """None: send now; otherwise why not (the alert's final outcome)."""
    if acknowledged is not None:
        return "acknowledged"
    if cancelled is not None:
        return "cancelled"
    if not phone:
        return "no_phone"
    if not configured:
        return "not_configured"
    return None


def text(app: str, title: str | None, body: str | None) -> str:
    parts = [p for p in (title, body) if p]
    out = f"{app}: {' - '.join(parts) or 'emergency message'} (not acknowledged)"
    return out if len(out) <= SMS_CHARS else out[:SMS_CHARS - 1] + "…"
