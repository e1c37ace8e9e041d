"""A device's queue as the device sees it: what waits for it, and deleting what it has
(update_highest_message), with the messages and attachments nobody waits for any more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import receipts
from overpush.models import App, Attachment, Delivery, Message


async def waiting(session: AsyncSession, device_id: int) -> Sequence[Any]:
    """(Delivery, Message, App, attachment content type or None) rows, oldest first."""
    return (await session.execute(
        select(Delivery, Message, App, Attachment.content_type)
        .join(Message, Message.id == Delivery.message_id)
        .join(App, App.id == Message.app_id)
        .outerjoin(Attachment, Attachment.id == Message.attachment_id)
        .where(Delivery.device_id == device_id)
        .order_by(Delivery.id)
    )).all()


async def drop_expired(session: AsyncSession, rows: Sequence[Any], now: datetime) -> set[int]:
    """Delete the rows (from `waiting`) whose message expired: an expired message is never
    shown; it goes as soon as it is seen. Returns the deleted queue row ids."""
    expired = {d.id: m.id for d, m, _, _ in rows
               if m.expires_at is not None and m.expires_at <= now}
    if expired:
        mids = sorted(set(expired.values()))
        await lock_messages(session, mids)
        await session.execute(delete(Delivery).where(Delivery.id.in_(list(expired))))
        await purge_messages(session, mids)
    return set(expired)


async def delete_up_to(session: AsyncSession, device_id: int, highest: int) -> None:
    """The device has every queue row up to `highest`: delete them (the Open Client API's
    high-water mark; see delivery.queue_order for why that is safe)."""
    await lock_messages(session, list((await session.scalars(
        select(Delivery.message_id)
        .where(Delivery.device_id == device_id, Delivery.id <= highest)
    )).all()))
    gone = list((await session.scalars(
        delete(Delivery).where(Delivery.device_id == device_id, Delivery.id <= highest)
        .returning(Delivery.message_id)
    )).all())
    await purge_messages(session, gone)


async def lock_messages(session: AsyncSession, message_ids: list[int]) -> None:
    """Serialize the devices deleting the same messages. Without this, two devices deleting
    at once on PostgreSQL each still see the other's queue row, and neither deletes the
    message. Locks are taken in id order, as the dispatcher takes them, so no deadlock."""
    if message_ids:
        await session.execute(
            select(Message.id).where(Message.id.in_(message_ids)).order_by(Message.id)
            .with_for_update()
        )


async def purge_messages(session: AsyncSession, message_ids: list[int]) -> None:
    """A message no device still waits for is deleted (unless an open emergency receipt keeps
    it, to re-alert), and with it an attachment no message still points at: nothing stays on
    the server. Callers lock the messages first (lock_messages)."""
    if not message_ids:
        return
    attachment_ids = {a for a in (await session.scalars(
        delete(Message).where(
            Message.id.in_(message_ids), Message.dispatched_at.is_not(None),
            ~exists().where(Delivery.message_id == Message.id),
            ~receipts.keeps_message(Message.id),
        ).returning(Message.attachment_id)
    )).all() if a is not None}
    if attachment_ids:
        await session.execute(delete(Attachment).where(
            Attachment.id.in_(attachment_ids),
            ~exists().where(Message.attachment_id == Attachment.id),
        ))
