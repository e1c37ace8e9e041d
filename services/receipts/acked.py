"""After an acknowledgement: nudge every recipient's desktop devices, so a client that still
shows the alert downloads again and finds it `acked: 1` (or gone) and can stop showing it."""

from __future__ import annotations

from overpush import platforms, presence
from overpush.models import Device, ReceiptMessage
from overpush.runtime import Runtime
from sqlalchemy import select


async def nudge_recipients(rt: Runtime, receipt_id: int) -> list[str]:
    """Nudge the receipt's recipients' desktop devices (one DevicesNudged per api instance
    holding some of them); their ids.
    Phones learn it on their next sync: their push providers carry new messages only.

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
