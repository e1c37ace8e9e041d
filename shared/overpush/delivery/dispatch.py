"""Queueing accepted messages: one row per (device, message) the fan-out chooses, messages
marked dispatched, and the start-up query for messages no dispatcher finished."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import delivery_status, licenses
from overpush.db import InsertIgnore, table_of
from overpush.delivery.fanout import Target, plan
from overpush.delivery.queue_order import lock_devices_for
from overpush.models import Delivery, Device, Message
from overpush.runtime import Runtime

RECOVER_BATCH = 500
RECOVER_AFTER = timedelta(minutes=10)

# Built once: these run for every batch of accepted messages.
_M, _D = table_of(Message), table_of(Device)
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
# Plain columns, not ORM entities: a group send fans out to thousands of rows. The messages
# not dispatched yet with their recipients' enabled devices, one row per (message, device)
# and one without a device for a user who has none: one query where there were two.
_FRESH_WITH_DEVICES = select(
    _M.c.id, _M.c.user_id, _M.c.devices, _M.c.created_at, _M.c.app_id, _M.c.request_id,
    _M.c.status_callback, _M.c.priority, _D.c.id.label("device_id"), _D.c.public_id,
    _D.c.name, _D.c.os, _D.c.push_token.is_not(None).label("has_token"),
).outerjoin(_D, (_D.c.user_id == _M.c.user_id) & _D.c.enabled) \
    .where(_M.c.id.in_(_IDS), _M.c.dispatched_at.is_(None)).order_by(_M.c.id, _D.c.id)
# PostgreSQL: lock the message rows only (a redelivered event waits for the first).
_FRESH_WITH_DEVICES_LOCKED = _FRESH_WITH_DEVICES.with_for_update(of=_M)
_DEVICES = select(_D.c.id, _D.c.public_id, _D.c.name, _D.c.os, _D.c.user_id) \
    .where(_D.c.user_id.in_(bindparam("users", expanding=True)), _D.c.enabled) \
    .order_by(_D.c.id)
_QUEUE = InsertIgnore(Delivery, ["device_id", "message_id"])
_DISPATCHED = update(_M).where(_M.c.id.in_(_IDS)).values(dispatched_at=bindparam("now"))


async def devices_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, list[Target]]:
    """Each user's enabled devices, oldest first."""
    devices: dict[int, list[Target]] = defaultdict(list)
    users = list(user_ids)
    if users:
        for d in (await session.execute(_DEVICES, {"users": users})).all():
            devices[d.user_id].append(Target(d.id, d.public_id, d.name, d.os))
    return devices


def split(joined: Sequence[Any]) -> tuple[list[Any], dict[int, list[Target]]]:
    """Rows of _FRESH_WITH_DEVICES (by message, then device) as the messages, each once, and
    each user's devices, oldest first."""
    messages: list[Any] = []
    devices: dict[int, list[Target]] = defaultdict(list)
    seen: set[int] = set()
    for row in joined:
        if not messages or messages[-1].id != row.id:
            messages.append(row)
        if row.device_id is not None and row.device_id not in seen:
            seen.add(row.device_id)
            devices[row.user_id].append(Target(row.device_id, row.public_id, row.name, row.os))
    return messages, devices


async def queue_rows(session: AsyncSession, rt: Runtime, messages: Sequence[Any],
                     devices: dict[int, list[Target]], now: datetime) -> list[dict[str, Any]]:
    """The queue rows for these messages (each with `id`, `user_id` and `devices`): the
    devices the fan-out chooses, less those on a platform whose licence ran out."""
    unlicensed = await licenses.blocked(session, rt.settings, devices.keys(), now)
    return [{"device_id": t.id, "message_id": m.id, "created_at": now}
            for m in messages for t in plan(m.devices, devices[m.user_id])
            if (m.user_id, t.os) not in unlicensed]


@dataclass(frozen=True)
class Queued:
    """What one dispatch queued: each new row's device, message id, the message's priority
    and whether the device has a push token; `all_fresh` when every message asked for was
    queued just now (none by an earlier delivery of the same event)."""

    rows: list[tuple[Target, int, int, bool]]
    all_fresh: bool


async def queue_messages(session: AsyncSession, rt: Runtime, message_ids: list[int]) -> Queued:
    """Queue the messages not dispatched yet on their recipients' devices and mark them
    dispatched, in the caller's transaction. A message already dispatched is left alone, so
    a redelivered event queues nothing twice."""
    now = rt.clock.now()
    await lock_devices_for(session, rt, message_ids)
    joined = (await session.execute(
        _FRESH_WITH_DEVICES if rt.settings.is_sqlite else _FRESH_WITH_DEVICES_LOCKED,
        {"ids": message_ids})).all()
    fresh, devices = split(joined)
    targets = {t.id: t for ts in devices.values() for t in ts}
    rows = await queue_rows(session, rt, fresh, devices, now)
    if rows:
        await session.execute(_QUEUE.on(session), rows)
        # Issue 17 §6: each queued delivery's status, in this transaction.
        await delivery_status.queued(session, fresh, rows, targets, now)
    if fresh:
        await session.execute(_DISPATCHED, {"ids": [m.id for m in fresh], "now": now})
    for m in fresh:
        rt.metrics.latency.observe(max((now - m.created_at).total_seconds(), 0))
    tokened = {r.device_id for r in joined if r.has_token}
    priority = {m.id: m.priority for m in fresh}
    return Queued([(targets[q["device_id"]], q["message_id"], priority[q["message_id"]],
                    q["device_id"] in tokened) for q in rows],
                  all_fresh=len(fresh) == len(set(message_ids)))


async def undispatched(rt: Runtime, after: int) -> list[int]:
    """The next batch of committed messages no dispatcher finished, by id after `after`.

    With the in-process bus that is every undispatched message: queued events die with
    their process, the message rows stay. On RabbitMQ a recent message's event is still
    queued or being handled (unacked, so redelivered after a crash): those are left to
    their consumer. Only messages older than RECOVER_AFTER are taken, whose event was
    dead-lettered (say, the database was down for longer than the delivery limit lasts).
    """
    query = (select(Message.id)
             .where(Message.dispatched_at.is_(None), Message.id > after)
             .order_by(Message.id).limit(RECOVER_BATCH))
    if not rt.settings.is_memory_bus:
        query = query.where(Message.created_at < rt.clock.now() - RECOVER_AFTER)
    async with rt.sessions() as session:
        return list((await session.scalars(query)).all())
