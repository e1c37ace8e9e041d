"""Builds pushes for queued deliveries: the device's token, the message, the alert decision."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import platforms, receipts
from overpush.attachments import attachment_url
from overpush.clock import unix
from overpush.delivery.alerting import Prefs, decide
from overpush.delivery.dispatch import Queued
from overpush.delivery.fanout import Target
from overpush.delivery.push import PhoneMessage, Push
from overpush.models import App, Attachment, Delivery, Device, Message, User
from overpush.runtime import Runtime

# The columns of a push and their joins, built once: the dispatcher asks for every batch,
# and building this statement (and its cache key) cost more than running it.
_ROWS = (
    select(Delivery.push_attempts, Message.id.label("message_id"), Message.priority,
           Message.expires_at, Message.title, Message.body, Message.url, Message.sound,
           Message.encrypted,
           Device.id.label("device_id"), Device.public_id, Device.name, Device.os,
           Device.enabled, Device.push_token, Device.encryption_key,
           Device.always_use_default_sound, User.quiet_start, User.quiet_end,
           User.timezone, User.default_sound, App.name.label("app_name"),
           App.id.label("app_id"), Message.url_title, Message.html, Message.sent_at,
           Attachment.content_type.label("attachment_type"))
    .join(Message, Message.id == Delivery.message_id)
    .join(Device, Device.id == Delivery.device_id)
    .join(User, User.id == Message.user_id)
    .join(App, App.id == Message.app_id)
    .outerjoin(Attachment, Attachment.id == Message.attachment_id)
    .order_by(Delivery.id)
)
_OF_MESSAGES = _ROWS.where(Delivery.message_id.in_(bindparam("messages", expanding=True)))
_OF_DELIVERIES = _ROWS.where(Delivery.id.in_(bindparam("deliveries", expanding=True)))
_OF_PAIRS = _ROWS.where(Delivery.message_id.in_(bindparam("messages", expanding=True)),
                        Delivery.device_id.in_(bindparam("devices", expanding=True)))

_WAITING = select(Delivery.device_id, func.count()).where(
    Delivery.device_id.in_(bindparam("devices", expanding=True))).group_by(Delivery.device_id)


async def of_messages(session: AsyncSession, rt: Runtime, message_ids: Sequence[int]
                      ) -> list[Push]:
    """A push for every queued row of these messages (a redelivered MessageAccepted must
    still wake the devices, so not only the rows queued just now)."""
    return await _load(session, rt, _OF_MESSAGES, {"messages": list(message_ids)})


def nudges(queued: Queued) -> list[Push] | None:
    """The pushes for what a dispatch just queued, when every row goes to a nudge channel (a
    desktop's WebSocket, a browser page without a push subscription): a nudge needs only the
    device and the message's id and priority, which the dispatcher has in hand, so the query
    of `of_messages` is spared. None when a row needs the message's content, or a message
    was queued by an earlier delivery of the event: `of_messages` reads those."""
    if not queued.all_fresh:
        return None
    if any(_carries(target.os, has_token, priority)
           for target, _, priority, has_token in queued.rows):
        return None
    return [Push(target, message_id, priority)
            for target, message_id, priority, _ in queued.rows]


async def of_deliveries(session: AsyncSession, rt: Runtime, delivery_ids: Sequence[int]
                        ) -> list[Push]:
    """A push for each of these queue rows (the retries claimed)."""
    return await _load(session, rt, _OF_DELIVERIES, {"deliveries": list(delivery_ids)})


async def of_pairs(session: AsyncSession, rt: Runtime, pairs: Collection[tuple[int, int]]
                   ) -> list[Push]:
    """A push for each (device id, message id) still queued (an emergency's re-alert)."""
    loaded = await _load(session, rt, _OF_PAIRS, {
        "messages": sorted({mid for _, mid in pairs}),
        "devices": sorted({device for device, _ in pairs})})
    return [p for p in loaded if (p.target.id, p.message_id) in pairs]


async def _load(session: AsyncSession, rt: Runtime, query: Select[*tuple[Any, ...]],
                params: dict[str, list[int]]) -> list[Push]:
    """One Push per delivery `query` selects. A channel that carries the message (a phone
    push) gets its content; disabled devices and devices without a token on such a channel
    get nothing (the device syncs when it is opened); other channels get a nudge."""
    now = rt.clock.now()
    # Plain columns, not entities: no identity map or instance per row on this hot path.
    rows = (await session.execute(query, params)).all()
    carried = {r.device_id for r in rows if _carries(r.os, r.push_token is not None, r.priority)}
    badges = await _waiting(session, list(carried))
    emergencies = await receipts.of_messages(session, sorted(
        {r.message_id for r in rows if r.device_id in carried and r.priority == 2}))
    pushes: list[Push] = []
    for r in rows:
        target = Target(r.device_id, r.public_id, r.name, r.os)
        if not _carries(r.os, r.push_token is not None, r.priority):
            pushes.append(Push(target, r.message_id, r.priority))
            continue
        if not (r.enabled and r.push_token):
            continue
        prefs = Prefs(r.quiet_start, r.quiet_end, r.timezone, r.default_sound,
                      r.always_use_default_sound)
        ttl = None if r.expires_at is None else int((r.expires_at - now).total_seconds())
        pushes.append(Push(target, r.message_id, r.priority, PhoneMessage(
            token=r.push_token, device_id=r.public_id, key=r.encryption_key,
            message_id=r.message_id,
            # An encrypted message's title is ciphertext or nothing: never the app's name in
            # clear where the app expects ciphertext.
            title=r.title or ("" if r.encrypted else r.app_name), body=r.body, url=r.url,
            badge=badges.get(r.device_id, 0), alert=decide(r.priority, r.sound, prefs, now),
            ttl=ttl, attempts=r.push_attempts, encrypted=r.encrypted, app=r.app_name,
            app_id=r.app_id,
            url_title=r.url_title, html=r.html, sent_at=unix(r.sent_at),
            receipt=emergencies[r.message_id][0] if r.message_id in emergencies else None,
            attachment=None if r.attachment_type is None else attachment_url(
                rt.settings.base_url, r.message_id, r.attachment_type),
        )))
    return pushes


def _carries(os: str, has_token: bool, priority: int) -> bool:
    """Whether the device's channel carries the message itself (a phone push); a message
    that must show nothing (priority -2) only nudges where silent pushes are not allowed."""
    channel = platforms.channel_for(os, has_token)
    return channel is not None and channel.payload and (priority > -2 or channel.silent)


async def _waiting(session: AsyncSession, device_ids: Sequence[int]) -> dict[int, int]:
    """The badge: how many messages wait in each device's queue."""
    if not device_ids:
        return {}
    counts = await session.execute(_WAITING, {"devices": sorted(set(device_ids))})
    return {int(row[0]): int(row[1]) for row in counts}
