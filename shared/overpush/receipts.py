"""Emergency receipts: the repeat schedule (pure) and the database steps every service shares.

Schedule: re-alerts fall on the slots created + k*retry (k = 1, 2, ...), at most MAX_REALERTS
of them, none after `expires_at` = created + min(expire, MAX_REALERTS * retry) (so Pushover's
"retry 30 + expire 10800 stops after 25 minutes"). Slots are anchored at creation, so a late
tick never shifts the later ones; slots missed while no receipts service ran are skipped
(one catch-up alert, not a burst).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import escalations, platforms, presence, team_sms
from overpush.clock import unix
from overpush.ids import is_key, random_key
from overpush.models import Device, Receipt, ReceiptCallback, ReceiptMessage, ReceiptTag
from overpush.runtime import Runtime

MAX_REALERTS = 50
RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Step:
    """What one due tick does to a receipt."""

    alert: bool
    attempts: int
    next_attempt_at: datetime | None  # None: repetition is over


def expiry(created: datetime, retry: int, expire: int) -> datetime:
    return created + timedelta(seconds=min(expire, MAX_REALERTS * retry))


def next_slot(created: datetime, retry: int, expires_at: datetime, after: datetime,
              attempts: int) -> datetime | None:
    """The first re-alert slot strictly after `after`, or None when there is none left."""
    if attempts >= MAX_REALERTS:
        return None
    k = max(int((after - created).total_seconds() // retry) + 1, 1)
    slot = created + timedelta(seconds=k * retry)
    return slot if slot <= expires_at else None


def on_due(created: datetime, retry: int, expires_at: datetime, attempts: int,
           due: datetime, now: datetime) -> Step:
    """A tick found the receipt due (`due` <= `now`): alert unless the slot is stale
    (the service was down past expiry), then schedule the next slot after now."""
    alert = attempts < MAX_REALERTS and due <= expires_at and now <= expires_at + timedelta(
        seconds=retry)
    attempts += int(alert)
    return Step(alert, attempts, next_slot(created, retry, expires_at, max(now, due), attempts))


def parse_tags(raw: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in (raw or "").split(",") if t.strip()))


async def create(session: AsyncSession, *, app_id: int, request_id: str,
                 recipients: Sequence[tuple[int, int]], retry: int, expire: int,
                 callback: str | None, tags: Sequence[str], now: datetime,
                 receipt: str | None = None,
                 escalation: tuple[int | None, str] | None = None) -> str:
    """Stage a receipt covering `recipients` (message id, user id) in the caller's
    transaction; returns the 30-character receipt (`receipt` when given: a scheduled
    message's, answered in advance). `escalation` is (policy id, its levels as JSON): level
    0 is alerted now, the next one is timed (overpush.escalations)."""
    expires_at = expiry(now, retry, expire)
    row = Receipt(
        receipt=receipt or random_key(), app_id=app_id, request_id=request_id, retry=retry,
        expire=expire, callback=callback, created_at=now, expires_at=expires_at, attempts=0,
        next_attempt_at=next_slot(now, retry, expires_at, now, 0), last_delivered_at=now,
    )
    if escalation is not None:
        row.escalation_id, row.escalation_levels = escalation
        row.escalation_level, row.escalated_at = 0, now
        row.next_level_at = escalations.next_level_at(
            now, escalations.load_levels(escalation[1]), 0)
    if row.next_attempt_at is None:  # expire < retry: the first alert is the only one
        row.closed_at = now
    session.add(row)
    await session.flush()
    session.add_all([ReceiptMessage(message_id=m, receipt_id=row.id, user_id=u)
                     for m, u in recipients])
    session.add_all([ReceiptTag(receipt_id=row.id, tag=t, app_id=app_id) for t in tags])
    await team_sms.schedule(session, row.id, [u for _, u in recipients], now)
    return row.receipt


def is_open() -> ColumnElement[bool]:
    return Receipt.closed_at.is_(None)


def keeps_message(message_id: Any) -> ColumnElement[bool]:
    """True while an open receipt covers the message: re-alerts need the row even after every
    device deleted its copy."""
    return exists().where(
        ReceiptMessage.message_id == message_id, Receipt.id == ReceiptMessage.receipt_id,
        is_open(),
    )


async def of_messages(session: AsyncSession, message_ids: Sequence[int]
                      ) -> dict[int, tuple[str, bool, datetime]]:
    """message id -> (receipt, acknowledged, expires_at) for the Open Client message list
    (a client hides the Acknowledge button of an emergency whose repetition has expired)."""
    if not message_ids:
        return {}
    rows = (await session.execute(
        select(ReceiptMessage.message_id, Receipt.receipt, Receipt.acknowledged_at,
               Receipt.expires_at)
        .join(Receipt, Receipt.id == ReceiptMessage.receipt_id)
        .where(ReceiptMessage.message_id.in_(message_ids))
    )).all()
    return {m: (r, acked is not None, expires) for m, r, acked, expires in rows}


async def messages_to_realert(session: AsyncSession, receipt_ids: Sequence[int]) -> list[int]:
    """The message ids of those receipts still open (acknowledged or cancelled ones stop)."""
    return list((await session.scalars(
        select(ReceiptMessage.message_id)
        .join(Receipt, Receipt.id == ReceiptMessage.receipt_id)
        .where(ReceiptMessage.receipt_id.in_(receipt_ids), is_open())
        .order_by(ReceiptMessage.message_id)
    )).all())


async def acknowledge(session: AsyncSession, receipt: Receipt, user_key: str,
                      device_name: str, now: datetime) -> bool:
    """Record the first acknowledgement, stop repetition for everyone and stage the callback;
    False when someone acknowledged first. One conditional UPDATE decides the race."""
    result = await session.execute(
        update(Receipt)
        .where(Receipt.id == receipt.id, Receipt.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=user_key,
                acknowledged_by_device=device_name, next_attempt_at=None,
                next_level_at=None, closed_at=receipt.closed_at or now)
    )
    if not getattr(result, "rowcount", 0):
        return False
    if receipt.callback:
        session.add(ReceiptCallback(receipt_id=receipt.id, url=receipt.callback, attempts=0,
                                    next_attempt_at=now))
    return True


async def cancel(session: AsyncSession, where: ColumnElement[bool], now: datetime) -> int:
    """Stop repetition of the open receipts matching `where`; returns how many."""
    result = await session.execute(
        update(Receipt).where(and_(where, is_open()))
        .values(cancelled_at=now, closed_at=now, next_attempt_at=None, next_level_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def tagged(app_id: int, tag: str) -> ColumnElement[bool]:
    return Receipt.id.in_(
        select(ReceiptTag.receipt_id).where(ReceiptTag.app_id == app_id, ReceiptTag.tag == tag)
    )


def view(r: Receipt, now: datetime) -> dict[str, Any]:
    """Every field of spec §4.1 (clients index each one)."""
    acked = r.acknowledged_at is not None
    expired = not acked and (r.cancelled_at is not None or now >= r.expires_at)
    return {
        "acknowledged": int(acked),
        "acknowledged_at": unix(r.acknowledged_at) if r.acknowledged_at else 0,
        "acknowledged_by": r.acknowledged_by or "",
        "acknowledged_by_device": r.acknowledged_by_device or "",
        "last_delivered_at": unix(r.last_delivered_at) if r.last_delivered_at else 0,
        "expired": int(expired),
        "expires_at": unix(r.expires_at),
        "called_back": int(r.called_back_at is not None),
        "called_back_at": unix(r.called_back_at) if r.called_back_at else 0,
        # dedup_key: the sender resolved the incident, which stopped the re-alerts.
        "resolved": int(r.resolved_at is not None),
        "resolved_at": unix(r.resolved_at) if r.resolved_at else 0,
        **escalation_view(r),
    }


def escalation_view(r: Receipt) -> dict[str, Any]:
    """An escalated receipt also says the highest level alerted so far, and when."""
    if r.escalation_level is None:
        return {}
    return {"escalation_level": r.escalation_level,
            "escalated_at": unix(r.escalated_at) if r.escalated_at else 0}


async def nudge_recipients(rt: Runtime, receipt_id: int) -> list[str]:
    """After an acknowledgement: a nudge for the receipt's recipients' desktop devices (one
    DevicesNudged per api instance holding some of them), so a client that still shows the
    alert downloads again and finds it `acked: 1` (or gone) and can stop showing it; their
    ids. Phones learn it on their next sync: their
    push providers carry new messages only.

    Runs on ReceiptAcknowledged, which is delivered at least once: a second nudge only makes
    a device download once more.
    """
    async with rt.sessions() as session:
        ids = sorted((await session.scalars(
            select(Device.public_id).distinct()
            .join(ReceiptMessage, ReceiptMessage.user_id == Device.user_id)
            .where(ReceiptMessage.receipt_id == receipt_id, Device.os.in_(platforms.nudged()),
                   Device.enabled)
        )).all())
    await presence.nudge(rt, ids)
    return ids


async def of_app(session: AsyncSession, app_id: int, receipt: str) -> Receipt | None:
    """The receipt, if this application sent it: to any other it does not exist."""
    if not is_key(receipt):
        return None
    row: Receipt | None = await session.scalar(
        select(Receipt).where(Receipt.receipt == receipt, Receipt.app_id == app_id))
    return row


async def of_recipient(session: AsyncSession, user_id: int, receipt: str) -> Receipt | None:
    """The receipt, if this account is one of its recipients (only they acknowledge it)."""
    if not is_key(receipt):
        return None
    row: Receipt | None = await session.scalar(select(Receipt).where(
        Receipt.receipt == receipt,
        exists().where(ReceiptMessage.receipt_id == Receipt.id,
                       ReceiptMessage.user_id == user_id)))
    return row
