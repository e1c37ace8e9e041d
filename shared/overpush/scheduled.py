"""Scheduled messages (issue 17 §2): a message request accepted with `send_at` waits in the
database and goes through the ordinary intake when its time comes.

The timer is the row's `due_at` (NULL once the message went out, was refused or cancelled),
claimed like the emergency re-alerts: on PostgreSQL with FOR UPDATE SKIP LOCKED, so of several
replicas exactly one sends it, in the transaction that marks it sent.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.clock import unix
from overpush.errors import ApiError, E
from overpush.ids import random_key
from overpush.intake.validate import SEND_AT_AHEAD_MAX, MessageDraft
from overpush.models import ScheduledMessage
from overpush.receipts import MAX_REALERTS

PENDING_MAX = 1000  # per application
FINISHED_SHOWN = 100  # the latest sent, refused or cancelled ones the list also shows
RETENTION = timedelta(days=7)
EARLY_SLACK = 60  # seconds: a send_at this far in the past (clock skew) still schedules


def check_send_at(send_at: int, now: datetime) -> datetime:
    """The moment to send: from a minute ago (then at once) to 30 days ahead."""
    at = datetime.fromtimestamp(send_at, now.tzinfo)
    if not now - timedelta(seconds=EARLY_SLACK) <= at <= now + timedelta(
            seconds=SEND_AT_AHEAD_MAX):
        raise ApiError.of(E.SEND_AT_INVALID)
    return at


def dump(draft: MessageDraft) -> str:
    """The checked draft, without its attachment (a scheduled message has none)."""
    data = asdict(draft)
    data.pop("attachment")
    data["send_at"] = None  # when it goes out, it goes out
    return json.dumps(data, ensure_ascii=False)


def load(text: str) -> MessageDraft:
    data: dict[str, Any] = json.loads(text)
    known = {f.name for f in fields(MessageDraft)}
    kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in data.items() if k in known}
    return MessageDraft(**kwargs)


async def schedule(session: AsyncSession, app_id: int, draft: MessageDraft, request_id: str,
                   at: datetime, now: datetime) -> ScheduledMessage:
    pending = await session.scalar(select(func.count()).where(
        ScheduledMessage.app_id == app_id, ScheduledMessage.due_at.is_not(None)))
    if (pending or 0) >= PENDING_MAX:
        raise ApiError.of(E.SCHEDULED_TOO_MANY)
    row = ScheduledMessage(
        public_id=random_key(), app_id=app_id, request_id=request_id,
        receipt=random_key() if draft.priority == 2 else None, draft=dump(draft),
        send_at=at, created_at=now, due_at=at)
    session.add(row)
    await session.flush()
    return row


def status(row: ScheduledMessage) -> str:
    if row.due_at is not None:
        return "pending"
    if row.sent_at is not None:
        return "sent"
    return "cancelled" if row.cancelled_at is not None else "refused"


def view(row: ScheduledMessage) -> dict[str, Any]:
    draft = load(row.draft)
    out: dict[str, Any] = {
        "id": row.public_id, "request": row.request_id, "status": status(row),
        "send_at": unix(row.send_at), "created_at": unix(row.created_at),
        "user": ",".join(draft.users), "priority": draft.priority,
    }
    if draft.title and not draft.encrypted:
        out["title"] = draft.title
    if row.receipt:
        out["receipt"] = row.receipt
    for key, value in (("sent_at", row.sent_at), ("cancelled_at", row.cancelled_at),
                       ("refused_at", row.refused_at)):
        if value is not None:
            out[key] = unix(value)
    if row.refusal:
        out["refusal"] = row.refusal
    return out


async def receipt_view(session: AsyncSession, app_id: int, receipt: str
                       ) -> dict[str, Any] | None:
    """A priority-2 scheduled message's receipt before it goes out (its receipt row does not
    exist yet): the fields of a receipt that has not started, plus `scheduled` and `send_at`.
    None when no scheduled message of the app was answered with it."""
    row = await session.scalar(select(ScheduledMessage).where(
        ScheduledMessage.app_id == app_id, ScheduledMessage.receipt == receipt))
    if row is None or row.sent_at is not None:
        return None
    draft = load(row.draft)
    expires = row.send_at + timedelta(seconds=min(draft.expire or 0,
                                                  MAX_REALERTS * (draft.retry or 0)))
    return {
        "acknowledged": 0, "acknowledged_at": 0, "acknowledged_by": "",
        "acknowledged_by_device": "", "last_delivered_at": 0,
        "expired": int(row.due_at is None), "expires_at": unix(expires),
        "called_back": 0, "called_back_at": 0, "resolved": 0, "resolved_at": 0,
        "scheduled": 1, "send_at": unix(row.send_at),
    }


async def listing(session: AsyncSession, app_id: int) -> list[ScheduledMessage]:
    """The application's pending messages, soonest first, then its latest finished ones."""
    pending = (await session.scalars(
        select(ScheduledMessage).where(ScheduledMessage.app_id == app_id,
                                       ScheduledMessage.due_at.is_not(None))
        .order_by(ScheduledMessage.due_at, ScheduledMessage.id))).all()
    finished = (await session.scalars(
        select(ScheduledMessage).where(ScheduledMessage.app_id == app_id,
                                       ScheduledMessage.due_at.is_(None))
        .order_by(ScheduledMessage.id.desc()).limit(FINISHED_SHOWN))).all()
    return [*pending, *finished]


async def cancel(session: AsyncSession, app_id: int, public_id: str, now: datetime) -> None:
    """Cancel a pending message of the application; one already sent (or not its own) is
    not found. One conditional UPDATE: a timer that claimed it first wins."""
    result = await session.execute(
        update(ScheduledMessage)
        .where(ScheduledMessage.app_id == app_id, ScheduledMessage.public_id == public_id,
               ScheduledMessage.due_at.is_not(None))
        .values(due_at=None, cancelled_at=now)
        .execution_options(synchronize_session=False))
    if not getattr(result, "rowcount", 0):
        raise ApiError.of(E.SCHEDULED_NOT_FOUND)


async def claim_due(session: AsyncSession, now: datetime, limit: int,
                    skip_locked: bool) -> list[ScheduledMessage]:
    query = (select(ScheduledMessage).where(ScheduledMessage.due_at <= now)
             .order_by(ScheduledMessage.due_at, ScheduledMessage.id).limit(limit))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return list((await session.scalars(query)).all())


async def purge(session: AsyncSession, now: datetime) -> int:
    """Finished messages are listed for RETENTION, then deleted."""
    cutoff = now - RETENTION
    result = await session.execute(
        delete(ScheduledMessage).where(
            ScheduledMessage.due_at.is_(None),
            func.coalesce(ScheduledMessage.sent_at, ScheduledMessage.refused_at,
                          ScheduledMessage.cancelled_at) < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
