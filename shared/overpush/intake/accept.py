"""Admit a checked draft: authenticate, resolve recipients, reserve quota, commit, announce."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from overpush import callbacks, outbox, receipts
from overpush.errors import ApiError, E, FieldError
from overpush.events import MessageAccepted
from overpush.intake.validate import MessageDraft
from overpush.models import App, Device, Message, User
from overpush.quota import Allowance, reserve
from overpush.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    message_ids: list[int]
    allowance: Allowance
    receipt: str | None = None  # priority 2 only


async def accept(rt: Runtime, draft: MessageDraft, request_id: str,
                 source: str = "api") -> Accepted:
    """Commit one message per recipient user and its MessageAccepted event, atomically.

    Returning means committed: the event is in the outbox, and the relay publishes it.
    """
    now = rt.clock.now()
    if draft.priority == 2 and (draft.retry is None or draft.expire is None):
        raise ApiError([FieldError(E.RETRY_INVALID), FieldError(E.EXPIRE_INVALID)])
    if draft.callback is not None:
        try:  # SSRF: checked after resolution here, and again when the callback is made
            await callbacks.vet(draft.callback, rt.settings.callback_allow_private)
        except callbacks.CallbackRefused as exc:
            raise ApiError.of(E.CALLBACK_INVALID, str(exc)) from None
    receipt = None
    async with rt.sessions() as session, session.begin():
        app = await session.scalar(select(App).where(App.token == draft.token))
        if app is None:
            raise ApiError.of(E.TOKEN_INVALID)
        found = (await session.execute(
            select(User.user_key, User.id).where(User.user_key.in_(draft.users))
        )).all()
        ids = dict(found)
        if len(ids) != len(draft.users):
            raise ApiError.of(E.USER_INVALID)
        active = set((await session.execute(
            select(Device.user_id).where(Device.user_id.in_(ids.values()), Device.enabled)
            .group_by(Device.user_id).having(func.count() > 0)
        )).scalars())
        if any(uid not in active for uid in ids.values()):
            raise ApiError.of(E.USER_NO_DEVICES)

        # 0 is a real limit (the app is switched off), so only None means the default.
        limit = rt.settings.app_monthly_limit if app.monthly_limit is None else app.monthly_limit
        admitted, allowance = await reserve(session, app.id, len(ids), limit, now)
        if not admitted:
            raise ApiError(
                [ApiError.of(E.QUOTA_EXCEEDED).errors[0]], headers=allowance.headers()
            )

        sent_at = (
            datetime.fromtimestamp(draft.timestamp, UTC) if draft.timestamp is not None else now
        )
        expires_at = now + timedelta(seconds=draft.ttl) if draft.ttl else None
        rows = [
            Message(
                app_id=app.id, user_id=uid, request_id=request_id, title=draft.title,
                body=draft.message, priority=draft.priority, sound=draft.sound, url=draft.url,
                url_title=draft.url_title, html=draft.html, monospace=draft.monospace,
                devices=",".join(draft.devices) or None, sent_at=sent_at, created_at=now,
                expires_at=expires_at,
            )
            for uid in ids.values()
        ]
        session.add_all(rows)
        await session.flush()
        message_ids = [m.id for m in rows]
        if draft.priority == 2 and draft.retry is not None and draft.expire is not None:
            receipt = await receipts.create(
                session, app_id=app.id, request_id=request_id,
                recipients=[(m.id, m.user_id) for m in rows], retry=draft.retry,
                expire=draft.expire, callback=draft.callback, tags=draft.tags, now=now,
            )
        outbox.add(session, rt, MessageAccepted(
            message_ids=message_ids, app_id=app.id, priority=draft.priority
        ))
    rt.outbox_wakeup.set()
    rt.metrics.accepted.labels(source).inc(len(message_ids))
    log.info("accepted messages %s from app %s", message_ids, app.id,
             extra={"message_ids": message_ids, "request_id": request_id})
    return Accepted(message_ids, allowance, receipt)
