"""The emergency timer's steps: one tick (claim due receipts, advance their schedule, announce
the re-alerts, all in one transaction) and the retention of closed receipts.

The schedule lives in the database, so it survives restarts. Several receipts services may
tick at once: on PostgreSQL each claims its rows with FOR UPDATE SKIP LOCKED, so a due receipt
is advanced (and its ReceiptsRetryDue staged in the outbox) by exactly one of them; a crash
before commit leaves the row due for the next tick. SQLite has one process and one ticker.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, exists, select

from overpush import outbox
from overpush.events import ReceiptsRetryDue
from overpush.models import Delivery, Message, Receipt, ReceiptMessage
from overpush.receipts import RETENTION, on_due
from overpush.runtime import Runtime

BATCH = 500


async def tick(rt: Runtime, *, limit: int = BATCH,
               observe: Callable[[float], None] | None = None) -> int:
    """Handle up to `limit` receipts due at rt.clock.now(); returns how many were due.

    `observe` gets each re-alert's lateness in seconds (now - the slot it was due at)."""
    now = rt.clock.now()
    alerted: list[int] = []
    async with rt.sessions() as session, session.begin():
        query = (select(Receipt).where(Receipt.next_attempt_at <= now)
                 .order_by(Receipt.next_attempt_at).limit(limit))
        if not rt.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = (await session.scalars(query)).all()
        for r in rows:
            due = r.next_attempt_at
            assert due is not None
            step = on_due(r.created_at, r.retry, r.expires_at, r.attempts, due, now)
            r.attempts, r.next_attempt_at = step.attempts, step.next_attempt_at
            if step.alert:
                r.last_delivered_at = now
                alerted.append(r.id)
                if observe is not None:
                    observe((now - due).total_seconds())
            if step.next_attempt_at is None:
                r.closed_at = now  # expired, or out of re-alerts
        if alerted:
            outbox.add(session, rt, ReceiptsRetryDue(receipt_ids=alerted))
    if alerted:
        rt.outbox_wakeup.set()
    return len(rows)


async def purge(rt: Runtime) -> tuple[int, int]:
    """Receipts go a week after they close; their messages once no device holds them.
    Returns (messages, receipts) deleted."""
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
