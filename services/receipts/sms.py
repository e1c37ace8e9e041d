"""One tick of the team SMS timer: claim due alerts (SKIP LOCKED), decide, then text.

An alert is claimed in one transaction (due_at cleared, sent_at set) before the provider is
called, so two receipts services never both text it; a failed send puts it back due a minute
later, at most team_sms.MAX_ATTEMPTS times in all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from overpush import team_sms
from overpush.models import App, Message, Receipt, ReceiptMessage, SmsAlert, User
from overpush.runtime import Runtime
from overpush.sms import SmsProvider
from sqlalchemy import select, update

log = logging.getLogger(__name__)
BATCH = 100


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
            why = team_sms.decide(info.acknowledged_at, info.cancelled_at, info.phone_number,
                                  provider is not None)
            if why is not None:
                a.outcome = why
                continue
            a.sent_at, a.outcome, a.attempts = now, "sending", a.attempts + 1
            claimed.append(Claimed(a.receipt_id, a.user_id, info.phone_number,
                                   # ciphertext is no use in a text message
                                   team_sms.text(info.name, *((None, None) if info.encrypted
                                                              else (info.title, info.body))),
                                   a.attempts))
    for c in claimed:
        assert provider is not None
        ok = await provider.send(c.phone, c.text)
        retry = not ok and c.attempts < team_sms.MAX_ATTEMPTS
        async with rt.sessions() as session, session.begin():
            await session.execute(update(SmsAlert).where(
                SmsAlert.receipt_id == c.receipt_id, SmsAlert.user_id == c.user_id
            ).values(outcome="sent" if ok else ("retrying" if retry else "failed"),
                     due_at=now + team_sms.RETRY_AFTER if retry else None))
        log.info("emergency SMS for receipt %d to user %d: %s", c.receipt_id, c.user_id,
                 "sent" if ok else "failed")
    return len(alerts)
