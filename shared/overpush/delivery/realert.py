"""Emergency re-alerts: queue a receipt's messages on its recipients' devices again."""

from __future__ import annotations

from sqlalchemy import select

from overpush import delivery_status, receipts
from overpush.db import insert_ignore
from overpush.delivery.dispatch import devices_of, queue_rows
from overpush.delivery.fanout import Target
from overpush.delivery.queue_order import lock_devices_of
from overpush.events import ReceiptsRetryDue
from overpush.inbox import first_time
from overpush.models import Delivery, Device, Message
from overpush.runtime import Runtime


async def requeue(rt: Runtime, event: ReceiptsRetryDue) -> list[tuple[Target, int]]:
    """Put each still-open receipt's messages back in the queue of every device they were
    for (a device that deleted its copy gets a new row, so it downloads it again), and return
    the (device, message) pairs to wake. Rows are written once per event (inbox); the pairs
    are returned on a redelivery too, since the first handling may have died before pushing."""
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        fresh = await first_time(session, "dispatcher.realert", event, rt)
        message_ids = await receipts.messages_to_realert(session, event.receipt_ids)
        if not message_ids:
            return []
        if fresh:
            messages = (await session.scalars(
                select(Message).where(Message.id.in_(message_ids))
            )).all()
            await lock_devices_of(session, rt, {m.user_id for m in messages})
            devices = await devices_of(session, {m.user_id for m in messages})
            rows = await queue_rows(session, rt, messages, devices, now)
            if rows:
                await session.execute(insert_ignore(
                    session, Delivery, rows, ["device_id", "message_id"]
                ))
                # A device added since the first alert gets its status row here.
                await delivery_status.requeued(
                    session, messages, rows, {t.id: t for ts in devices.values() for t in ts},
                    now)
        queued = (await session.execute(
            select(Delivery.message_id, Device)
            .join(Device, Device.id == Delivery.device_id)
            .where(Delivery.message_id.in_(message_ids), Device.enabled)
        )).all()
    return [(Target(d.id, d.public_id, d.name, d.os), mid) for mid, d in queued]
