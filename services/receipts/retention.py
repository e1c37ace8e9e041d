"""Retention: receipts go a week after they close; their messages once no device holds them."""

from __future__ import annotations

from overpush.models import Delivery, Message, Receipt, ReceiptMessage
from overpush.receipts import RETENTION
from overpush.runtime import Runtime
from sqlalchemy import delete, exists, select


async def purge(rt: Runtime) -> tuple[int, int]:
    """Returns (messages, receipts) deleted."""
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        # Message rows were kept while their receipt was open, even after every device had
        # deleted its copy; once it closes nothing needs them.
        messages = await session.execute(delete(Message).where(
            Message.id.in_(select(ReceiptMessage.message_id)
                           .join(Receipt, Receipt.id == ReceiptMessage.receipt_id)
                           .where(Receipt.closed_at.is_not(None))),
            Message.dispatched_at.is_not(None),
            ~exists().where(Delivery.message_id == Message.id),
        ).execution_options(synchronize_session=False))
        gone = await session.execute(
            delete(Receipt).where(Receipt.closed_at < now - RETENTION)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(messages, "rowcount", 0) or 0), int(getattr(gone, "rowcount", 0) or 0)
