"""Admit a checked draft: authenticate, resolve recipients, reserve quota, commit, announce."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import callbacks, outbox, receipts
from overpush.errors import ApiError, E, FieldError
from overpush.events import MessageAccepted
from overpush.intake.recipients import resolve
from overpush.intake.validate import MessageDraft
from overpush.models import App, Attachment, CustomSound, Message
from overpush.quota import Allowance, limit_of, reserve
from overpush.runtime import Runtime
from overpush.sounds import BUILTIN_SOUNDS

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
        recipients = await resolve(session, draft.users, draft.devices, app.id)
        if draft.sound is not None and draft.sound not in BUILTIN_SOUNDS:
            await _check_custom_sound(session, app.id, draft.sound)

        sent_at = (
            datetime.fromtimestamp(draft.timestamp, UTC) if draft.timestamp is not None else now
        )
        expires_at = now + timedelta(seconds=draft.ttl) if draft.ttl else None
        attachment_id = await _store_attachment(session, draft, now)
        rows = [
            dict(
                app_id=app.id, user_id=r.user_id, request_id=request_id, title=draft.title,
                body=draft.message, priority=draft.priority, sound=r.sound or draft.sound,
                url=draft.url,
                url_title=draft.url_title, html=draft.html, monospace=draft.monospace,
                devices=r.devices, sent_at=sent_at, created_at=now,
                expires_at=expires_at, attachment_id=attachment_id,
            )
            for r in recipients
        ]
        # One multi-row INSERT ... RETURNING (no ORM objects): a group send makes 1,000s.
        message_ids = list((await session.scalars(
            insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
        )).all())
        if draft.priority == 2 and draft.retry is not None and draft.expire is not None:
            receipt = await receipts.create(
                session, app_id=app.id, request_id=request_id,
                recipients=[(mid, r.user_id) for mid, r in zip(message_ids, recipients,
                                                               strict=True)],
                retry=draft.retry, expire=draft.expire, callback=draft.callback,
                tags=draft.tags, now=now,
            )
        # Admission comes last: its conditional UPDATE locks the application's usage row until
        # commit, so everything else is done first and concurrent sends for one application
        # queue only for the UPDATE and the commit (a refusal rolls the rows above back).
        limit = limit_of(app, rt.settings.app_monthly_limit)
        admitted, allowance = await reserve(session, app.id, len(recipients), limit, now)
        if not admitted:
            raise ApiError(
                [ApiError.of(E.QUOTA_EXCEEDED).errors[0]], headers=allowance.headers()
            )
        outbox.add(session, rt, MessageAccepted(
            message_ids=message_ids, app_id=app.id, priority=draft.priority
        ))
    rt.outbox_wakeup.set()
    rt.metrics.accepted.labels(source).inc(len(message_ids))
    log.info("accepted messages %s from app %s", message_ids, app.id,
             extra={"message_ids": message_ids, "request_id": request_id})
    return Accepted(message_ids, allowance, receipt)


async def _check_custom_sound(session: AsyncSession, app_id: int, sound: str) -> None:
    """A sender may use the sounds uploaded for its own application, and no others."""
    found = await session.scalar(select(exists().where(
        CustomSound.app_id == app_id, CustomSound.name == sound
    )))
    if not found:
        raise ApiError.of(E.SOUND_INVALID, f"sound {sound!r} is not a valid sound")


async def _store_attachment(session: AsyncSession, draft: MessageDraft,
                            now: datetime) -> int | None:
    """One stored copy per request, shared by every recipient's message row."""
    if draft.attachment is None:
        return None
    row = Attachment(content_type=draft.attachment.content_type,
                     size=len(draft.attachment.data), data=draft.attachment.data,
                     created_at=now)
    session.add(row)
    await session.flush()
    return row.id
