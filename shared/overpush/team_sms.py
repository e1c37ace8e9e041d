"""Emergency SMS for team members: schedule the timer with the receipt, decide at due time,
and the timer's tick.

An alert is claimed in one transaction (due_at cleared, sent_at set) before the provider is
called, so two receipts services never both text it (SKIP LOCKED); a failed send puts it back
due a minute later, at most MAX_ATTEMPTS times in all.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.models import App, Message, Receipt, ReceiptMessage, SmsAlert, Team, TeamMember, User
from overpush.runtime import Runtime
from overpush.sms import SmsProvider

log = logging.getLogger(__name__)
BATCH = 100
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


@dataclass(frozen=True)
class Claimed:
    receipt_id: int
    user_id: int
    phone: str
    text: str
    attempts: int


async def tick(rt: Runtime, provider: SmsProvider | None) -> int:
    """Handle the alerts due at rt.clock.now(); returns how many were due."""
    now = rt.clock.now()
    claimed: list[Claimed] = []
    async with rt.sessions() as session, session.begin():
        query = (select(SmsAlert).where(SmsAlert.due_at <= now)
                 .order_by(SmsAlert.due_at).limit(BATCH))
        if not rt.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        alerts = (await session.scalars(query)).all()
        for a in alerts:
            info = (await session.execute(
                select(Receipt.acknowledged_at, Receipt.cancelled_at, User.phone_number,
                       App.name, Message.title, Message.body, Message.encrypted)
                .select_from(Receipt)
                .join(App, App.id == Receipt.app_id)
                .join(User, User.id == a.user_id)
                .outerjoin(ReceiptMessage, (ReceiptMessage.receipt_id == Receipt.id)
                           & (ReceiptMessage.user_id == a.user_id))
                .outerjoin(Message, Message.id == ReceiptMessage.message_id)
                .where(Receipt.id == a.receipt_id).limit(1)
            )).one()
            a.due_at = None
            why = decide(info.acknowledged_at, info.cancelled_at, info.phone_number,
                         provider is not None)
            if why is not None:
                a.outcome = why
                continue
            a.sent_at, a.outcome, a.attempts = now, "sending", a.attempts + 1
            claimed.append(Claimed(a.receipt_id, a.user_id, info.phone_number,
                                   # ciphertext is no use in a text message
                                   text(info.name, *((None, None) if info.encrypted
                                                     else (info.title, info.body))),
                                   a.attempts))
    for c in claimed:
        assert provider is not None
        ok = await provider.send(c.phone, c.text)
        retry = not ok and c.attempts < MAX_ATTEMPTS
        async with rt.sessions() as session, session.begin():
            await session.execute(update(SmsAlert).where(
                SmsAlert.receipt_id == c.receipt_id, SmsAlert.user_id == c.user_id
            ).values(outcome="sent" if ok else ("retrying" if retry else "failed"),
                     due_at=now + RETRY_AFTER if retry else None))
        log.info("emergency SMS for receipt %d to user %d: %s", c.receipt_id, c.user_id,
                 "sent" if ok else "failed")
    return len(alerts)
