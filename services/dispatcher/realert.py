"""Emergency re-alerts: queue a receipt's messages on its recipients' devices again."""

from __future__ import annotations

from collections import defaultdict

from overpush import licenses, receipts
from overpush.db import insert_ignore
from overpush.events import ReceiptsRetryDue
from overpush.inbox import first_time
from overpush.models import Delivery, Device, Message
from overpush.runtime import Runtime
from sqlalchemy import select

from services.dispatcher.fanout import Target, plan
from services.dispatcher.providers.base import Push
from services.dispatcher.queue_order import lock_devices_of


async def realert(rt: Runtime, event: ReceiptsRetryDue) -> list[Push]:
    """Put each still-open receipt's messages back in the queue of every device they were
    for (a device that deleted its copy gets a new row, so it downloads it again), and return
    the pushes that wake those devices. Rows are written once per event (inbox); pushes are
    returned on a redelivery too, since the first handling may have died before pushing."""
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
            devices: dict[int, list[Target]] = defaultdict(list)
            for d in (await session.scalars(select(Device).where(
                Device.user_id.in_({m.user_id for m in messages}), Device.enabled
            ).order_by(Device.id))).all():
                devices[d.user_id].append(Target(d.id, d.public_id, d.name, d.os))
            unlicensed = await licenses.blocked(session, rt.settings, devices.keys(), now)
            rows = [{"device_id": t.id, "message_id": m.id, "created_at": now}
                    for m in messages for t in plan(m.devices, devices[m.user_id])
                    if (m.user_id, t.os) not in unlicensed]
            if rows:
                await session.execute(insert_ignore(
                    session, Delivery, rows, ["device_id", "message_id"]
                ))
        queued = (await session.execute(
            select(Delivery.message_id, Device)
            .join(Device, Device.id == Delivery.device_id)
            .where(Delivery.message_id.in_(message_ids), Device.enabled)
        )).all()
    return [Push(Target(d.id, d.public_id, d.name, d.os), mid, 2) for mid, d in queued]
