"""Builds pushes for queued deliveries: the device's token, the message, the alert decision."""

from __future__ import annotations

from collections.abc import Sequence

from overpush.models import App, Delivery, Device, Message, User
from overpush.runtime import Runtime
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.dispatcher.alerting import Prefs, decide
from services.dispatcher.fanout import Target
from services.dispatcher.providers.base import Push
from services.dispatcher.providers.phone import PhoneMessage

PHONES = frozenset({"I", "A"})


async def load(session: AsyncSession, rt: Runtime, where: ColumnElement[bool]) -> list[Push]:
    """One Push per delivery matching `where`; phones get their content, disabled phones and
    phones without a token get nothing (the device syncs when it is opened)."""
    now = rt.clock.now()
    rows = (await session.execute(
        select(Delivery, Message, Device, User, App.name)
        .join(Message, Message.id == Delivery.message_id)
        .join(Device, Device.id == Delivery.device_id)
        .join(User, User.id == Message.user_id)
        .join(App, App.id == Message.app_id)
        .where(where).order_by(Delivery.id)
    )).all()
    badges = await _waiting(session, [d.id for _, _, d, _, _ in rows if d.os in PHONES])
    pushes: list[Push] = []
    for delivery, m, d, u, app_name in rows:
        target = Target(d.id, d.public_id, d.name, d.os)
        if d.os not in PHONES:
            pushes.append(Push(target, m.id, m.priority))
            continue
        if not (d.enabled and d.push_token):
            continue
        prefs = Prefs(u.quiet_start, u.quiet_end, u.timezone, u.default_sound,
                      d.always_use_default_sound)
        ttl = None if m.expires_at is None else int((m.expires_at - now).total_seconds())
        pushes.append(Push(target, m.id, m.priority, PhoneMessage(
            token=d.push_token, device_id=d.public_id, key=d.encryption_key, message_id=m.id,
            title=m.title or app_name, body=m.body, url=m.url, badge=badges.get(d.id, 0),
            alert=decide(m.priority, m.sound, prefs, now), ttl=ttl,
            attempts=delivery.push_attempts,
        )))
    return pushes


async def _waiting(session: AsyncSession, device_ids: Sequence[int]) -> dict[int, int]:
    """The badge: how many messages wait in each device's queue."""
    if not device_ids:
        return {}
    counts = await session.execute(
        select(Delivery.device_id, func.count()).where(Delivery.device_id.in_(set(device_ids)))
        .group_by(Delivery.device_id))
    return {int(row[0]): int(row[1]) for row in counts}
