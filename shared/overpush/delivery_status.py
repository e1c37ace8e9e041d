"""Delivery status per device for every message (issue 17 §6): the rules (pure) and the SQL.

A status row is written by the dispatcher with the queue rows it already writes (one more
multi-row INSERT in that transaction; nothing on the accept path), then changed by one UPDATE
when a provider answers (sent / failed) or when the device downloads it (delivered). A change
of a message that has a `status_callback` stages a signed POST (StatusCallback), made by the
receipts service with back-off.

Statuses only move forward: queued -> sent or failed -> delivered (a device that downloads a
message whose push failed has it after all); delivered is final. A message that leaves a
device's queue unread (its ttl ran out, or the device did not sync within the retention) ends
`failed` with the reason, from queued or sent (`expired`). An emergency's re-alert writes a
status only for a device that had none (one registered after the first alert): the others keep
theirs, and its push answers move them forward like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.clock import unix
from overpush.db import InsertIgnore
from overpush.delivery.fanout import Target
from overpush.errors import ApiError, E
from overpush.models import DeviceStatus, StatusCallback, User

QUEUED, SENT, DELIVERED, FAILED = "queued", "sent", "delivered", "failed"
# The statuses each status may replace.
REPLACES = {SENT: (QUEUED,), FAILED: (QUEUED,), DELIVERED: (QUEUED, SENT, FAILED)}
TIME_OF = {SENT: "sent_at", DELIVERED: "delivered_at", FAILED: "failed_at"}
# What a message leaving a device's queue unread may replace: nothing will deliver it now.
EXPIRES = (QUEUED, SENT)
EXPIRED_TTL = "expired: its ttl ran out before the device downloaded it"
# Statuses are kept this long after their queue rows could go, so the sender sees (and is
# called back with) the failure of a message no device synced within the retention.
KEPT_AFTER_QUEUE = timedelta(days=1)


def not_synced(days: int) -> str:
    return f"expired: the device did not download it within {days} days"


@dataclass(frozen=True)
class Change:
    message_id: int
    device_id: int
    status: str
    reason: str | None = None


# --- recording ---------------------------------------------------------------------------

# Built once: a statement with the rows in its VALUES is compiled anew for every batch (it
# was the dispatcher's largest cost under load, bench/README.md Profiles).
_QUEUED = InsertIgnore(DeviceStatus, ["message_id", "device_id"])


async def queued(session: AsyncSession, messages: Iterable[Any],
                 rows: Sequence[dict[str, Any]], targets: dict[int, Target],
                 now: datetime) -> None:
    """Status rows for freshly queued deliveries (`rows` as dispatch.queue_rows makes them;
    `messages` with id, app_id, request_id, user_id, status_callback), in the dispatcher's
    transaction. A redelivered event inserts nothing twice."""
    by_id = {m.id: m for m in messages}
    statuses = []
    for row in rows:
        m, t = by_id[row["message_id"]], targets[row["device_id"]]
        statuses.append(dict(
            message_id=m.id, device_id=t.id, app_id=m.app_id, request_id=m.request_id,
            user_id=m.user_id, device_name=t.name, status=QUEUED, queued_at=now,
            callback=m.status_callback))
    if not statuses:
        return
    await session.execute(_QUEUED.on(session), statuses)
    called = [s for s in statuses if s["callback"]]
    if called:
        await _stage_callbacks(session, [(s["message_id"], s["device_id"]) for s in called],
                               now)


async def requeued(session: AsyncSession, messages: Iterable[Any],
                   rows: Sequence[dict[str, Any]], targets: dict[int, Target],
                   now: datetime) -> None:
    """Status rows for a re-alert's queue rows, only where a device has none yet (a device
    registered after the first alert): a status already there stays as it is (statuses only
    move forward), and nothing is called back for it again."""
    keys = {(row["message_id"], row["device_id"]) for row in rows}
    if not keys:
        return
    have = set((await session.execute(
        select(DeviceStatus.message_id, DeviceStatus.device_id)
        .where(DeviceStatus.message_id.in_({m for m, _ in keys}),
               DeviceStatus.device_id.in_({d for _, d in keys})))).all())
    await queued(session, messages,
                 [row for row in rows if (row["message_id"], row["device_id"]) not in have],
                 targets, now)


async def expired_messages(session: AsyncSession, message_ids: Sequence[int], reason: str,
                           now: datetime) -> int:
    """These messages left every device's queue unread (their ttl ran out): each status
    still queued or sent ends `failed` with the reason. Returns how many changed."""
    if not message_ids:
        return 0
    return await _expire(session, DeviceStatus.message_id.in_(list(message_ids)), reason, now)


async def expired_on_devices(session: AsyncSession, pairs: Sequence[tuple[int, int]],
                             reason: str, now: datetime) -> int:
    """These (message, device) queue rows went unread (the device did not sync within the
    retention): as expired_messages, for those devices only."""
    if not pairs:
        return 0
    return await _expire(session, tuple_(DeviceStatus.message_id, DeviceStatus.device_id)
                         .in_(list(pairs)), reason, now)


async def _expire(session: AsyncSession, which: ColumnElement[bool], reason: str,
                  now: datetime) -> int:
    rows = (await session.execute(
        update(DeviceStatus).where(which, DeviceStatus.status.in_(EXPIRES))
        .values(status=FAILED, reason=reason[:200], failed_at=now)
        .returning(DeviceStatus.message_id, DeviceStatus.device_id, DeviceStatus.callback)
        .execution_options(synchronize_session=False))).all()
    called = [(m, d) for m, d, callback in rows if callback]
    if called:
        await _stage_callbacks(session, called, now)
    return len(rows)


async def record(session: AsyncSession, changes: Sequence[Change], now: datetime) -> int:
    """Apply provider answers (one UPDATE each); returns how many rows changed."""
    changed: list[tuple[int, int]] = []
    for c in changes:
        result = await session.execute(
            update(DeviceStatus)
            .where(DeviceStatus.message_id == c.message_id,
                   DeviceStatus.device_id == c.device_id,
                   DeviceStatus.status.in_(REPLACES[c.status]))
            .values(status=c.status, reason=(c.reason or None) and c.reason[:200],
                    **{TIME_OF[c.status]: now})
            .returning(DeviceStatus.callback))
        callback = result.first()
        if callback is not None:
            if callback[0]:
                changed.append((c.message_id, c.device_id))
    if changed:
        await _stage_callbacks(session, changed, now)
    return len(changed)


async def downloaded(session: AsyncSession, device_id: int, message_ids: Sequence[int],
                     now: datetime) -> None:
    """The device downloaded these messages: one UPDATE for the lot."""
    if not message_ids:
        return
    result = await session.execute(
        update(DeviceStatus)
        .where(DeviceStatus.device_id == device_id,
               DeviceStatus.message_id.in_(list(message_ids)),
               DeviceStatus.status.in_(REPLACES[DELIVERED]))
        .values(status=DELIVERED, delivered_at=now)
        .returning(DeviceStatus.message_id, DeviceStatus.callback))
    called = [(mid, device_id) for mid, callback in result.all() if callback]
    if called:
        await _stage_callbacks(session, called, now)


def event(row: DeviceStatus, user_key: str) -> dict[str, Any]:
    """One device's status as the request API and the callbacks show it."""
    return {
        "request": row.request_id, "user": user_key, "device": row.device_name,
        "status": row.status, "reason": row.reason or "",
        "queued_at": unix(row.queued_at),
        "sent_at": unix(row.sent_at) if row.sent_at else 0,
        "delivered_at": unix(row.delivered_at) if row.delivered_at else 0,
        "failed_at": unix(row.failed_at) if row.failed_at else 0,
    }


async def _stage_callbacks(session: AsyncSession, keys: Sequence[tuple[int, int]],
                           now: datetime) -> None:
    """One StatusCallback per changed row with a callback URL; the body is fixed now."""
    rows = (await session.execute(
        select(DeviceStatus, User.user_key).join(User, User.id == DeviceStatus.user_id)
        .where(DeviceStatus.message_id.in_({m for m, _ in keys}),
               DeviceStatus.device_id.in_({d for _, d in keys}))
    )).all()
    wanted = set(keys)
    jobs = [dict(app_id=r.app_id, url=r.callback,
                 body=json.dumps({**event(r, key), "at": unix(now)}, separators=(",", ":")),
                 attempts=0, next_attempt_at=now, created_at=now)
            for r, key in rows if (r.message_id, r.device_id) in wanted and r.callback]
    if jobs:
        await session.execute(insert(StatusCallback), jobs)


# --- reading -----------------------------------------------------------------------------

async def of_request(session: AsyncSession, app_id: int, request_id: str
                     ) -> list[dict[str, Any]]:
    """Per recipient, per device, the request's statuses; only the sending application sees
    them (to any other, the request does not exist)."""
    rows = (await session.execute(
        select(DeviceStatus, User.user_key).join(User, User.id == DeviceStatus.user_id)
        .where(DeviceStatus.app_id == app_id, DeviceStatus.request_id == request_id)
        .order_by(DeviceStatus.user_id, DeviceStatus.device_id))).all()
    if not rows:
        raise ApiError.of(E.REQUEST_NOT_FOUND)
    users: dict[str, list[dict[str, Any]]] = {}
    for row, key in rows:
        item = event(row, key)
        del item["request"], item["user"]
        users.setdefault(key, []).append(item)
    return [{"user": key, "devices": devices} for key, devices in users.items()]


async def purge(session: AsyncSession, now: datetime, days: int, limit: int = 1000) -> int:
    """Statuses a day older than the message retention (KEPT_AFTER_QUEUE), and finished
    callbacks a week old."""
    cutoff = now - timedelta(days=days) - KEPT_AFTER_QUEUE
    old = select(DeviceStatus.message_id).where(DeviceStatus.queued_at < cutoff).limit(limit)
    result = await session.execute(
        delete(DeviceStatus).where(DeviceStatus.message_id.in_(old),
                                   DeviceStatus.queued_at < cutoff))
    await session.execute(delete(StatusCallback).where(
        StatusCallback.next_attempt_at.is_(None),
        StatusCallback.created_at < now - timedelta(days=7)))
    return int(getattr(result, "rowcount", 0) or 0)
