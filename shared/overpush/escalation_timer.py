"""The escalation timer: alert an open emergency's next level when it is due (see
overpush.escalations for the rules). Kept apart from the policies because it sends through
the intake, which itself checks policies at send time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.escalations import load_levels, next_level_at
from overpush.ids import request_id
from overpush.intake.commit import commit_in
from overpush.intake.plans import Accepted, Request
from overpush.intake.validate import MessageDraft
from overpush.models import App, Message, Receipt, ReceiptMessage
from overpush.runtime import Runtime

BATCH = 100
SOURCE = "escalation"  # the accepted-messages metric's label


def level_draft(message: Message, token: str, user: str) -> MessageDraft:
    """The emergency again, for a later level: the same content at priority 2, without a
    receipt of its own (its rows join the original receipt: retry and expire stay unset)."""
    return MessageDraft(
        token=token, users=(user,), message=message.body, title=message.title,
        priority=2, sound=message.sound, url=message.url, url_title=message.url_title,
        html=message.html, monospace=message.monospace,
    )


async def tick(rt: Runtime, limit: int = BATCH) -> int:
    """Alert the next level of up to `limit` open receipts whose level is due; returns how
    many. Claim, messages and the receipt's new level commit together."""
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        query = (select(Receipt, App.token).join(App, App.id == Receipt.app_id)
                 .where(Receipt.next_level_at <= now, Receipt.closed_at.is_(None))
                 .order_by(Receipt.next_level_at).limit(limit))
        if not rt.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=Receipt)
        rows = (await session.execute(query)).all()
        for receipt, token in rows:
            await _escalate(session, rt, receipt, token, now)
    if rows:
        rt.outbox_wakeup.set()
    return len(rows)


async def _escalate(session: AsyncSession, rt: Runtime, receipt: Receipt, token: str,
                    now: datetime) -> None:
    assert receipt.escalation_levels is not None and receipt.escalation_level is not None
    levels = load_levels(receipt.escalation_levels)
    level = receipt.escalation_level + 1
    original = await session.scalar(
        select(Message).join(ReceiptMessage, ReceiptMessage.message_id == Message.id)
        .where(ReceiptMessage.receipt_id == receipt.id).order_by(Message.id).limit(1))
    receipt.escalation_level, receipt.escalated_at = level, now
    receipt.next_level_at = next_level_at(receipt.created_at, levels, level)
    if original is None:  # nothing left to send (cannot happen while the receipt is open)
        return
    [outcome] = await commit_in(session, rt, [
        Request(level_draft(original, token, levels[level].user), request_id(), SOURCE)])
    if isinstance(outcome, Accepted):
        users = dict((await session.execute(
            select(Message.id, Message.user_id).where(Message.id.in_(outcome.message_ids))
        )).all())
        session.add_all([ReceiptMessage(message_id=m, receipt_id=receipt.id, user_id=users[m])
                         for m in outcome.message_ids])
