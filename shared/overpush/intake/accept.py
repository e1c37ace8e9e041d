"""Admit a checked draft: authenticate, resolve recipients, reserve quota, commit, announce."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from overpush import outbox
from overpush.errors import ApiError, E
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


async def accept(rt: Runtime, draft: MessageDraft, request_id: str,
                 source: str = "api") -> Accepted:
    """Commit one message per recipient user and its MessageAccepted event, atomically.

    Returning means committed: the event is in the outbox, and the relay publishes it.
    """
    now = rt.clock.now()
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
        outbox.add(session, rt, MessageAccepted(
            message_ids=message_ids, app_id=app.id, priority=draft.priority
        ))
    rt.outbox_wakeup.set()
    rt.metrics.accepted.labels(source).inc(len(message_ids))
    log.info("accepted messages %s from app %s", message_ids, app.id,
             extra={"message_ids": message_ids, "request_id": request_id})
    return Accepted(message_ids, allowance)
