"""Admit a checked draft: the checks that need no database, then the shared group commit."""

from __future__ import annotations

from functools import partial

from overpush import callbacks, scheduled
from overpush.errors import ApiError, E, FieldError
from overpush.intake.commit import commit
from overpush.intake.lookups import check
from overpush.intake.plans import Accepted, Request
from overpush.intake.validate import MessageDraft
from overpush.quota import allowance, limit_of
from overpush.runtime import Runtime

__all__ = ["Accepted", "accept"]


async def accept(rt: Runtime, draft: MessageDraft, request_id: str,
                 source: str = "api") -> Accepted:
    """Commit one message per recipient user and its MessageAccepted event, atomically.

    Returning means committed: the event is in the outbox, and the relay publishes it.
    Requests arriving together share one transaction (see `overpush.batching`); each is
    still admitted or refused on its own, with its own error.
    """
    if draft.priority == 2 and (draft.retry is None or draft.expire is None):
        raise ApiError([FieldError(E.RETRY_INVALID), FieldError(E.EXPIRE_INVALID)])
    if len(draft.devices) > rt.settings.max_devices_per_user:
        # More names than any user may have devices: stored once per recipient, such a list
        # would only cost space (one message named 850,000 devices).
        limit = rt.settings.max_devices_per_user
        raise ApiError.of(E.DEVICES_TOO_MANY, f"{E.DEVICES_TOO_MANY.text}; the limit is {limit}")
    if draft.callback is not None:
        try:  # SSRF: checked after resolution here, and again when the callback is made
            await callbacks.vet(draft.callback, rt.settings.callback_allow_private)
        except callbacks.CallbackRefused as exc:
            raise ApiError.of(E.CALLBACK_INVALID, str(exc)) from None
    if draft.status_callback is not None:
        try:  # the same SSRF rule as callbacks, and again when each status is POSTed
            await callbacks.vet(draft.status_callback, rt.settings.callback_allow_private)
        except callbacks.CallbackRefused as exc:
            raise ApiError.of(E.STATUS_CALLBACK_INVALID, f"status_callback: {exc}") from None
    if draft.send_at is not None:
        return await _schedule(rt, draft, request_id)
    accepted: Accepted = await rt.intake.submit(Request(draft, request_id, source),
                                                partial(commit, rt))
    return accepted



async def _schedule(rt: Runtime, draft: MessageDraft, request_id: str) -> Accepted:
    """A `send_at` request: checked now (token, recipients, sound) as a send would be, kept
    until its time, and counted against the quota only when it goes out."""
    now = rt.clock.now()
    at = scheduled.check_send_at(draft.send_at or 0, now)
    if draft.attachment is not None:
        raise ApiError.of(E.SEND_AT_ATTACHMENT)
    async with rt.sessions() as session, session.begin():
        app = await check(session, draft)
        row = await scheduled.schedule(session, app.id, draft, request_id, at, now)
        left = await allowance(session, app.id, limit_of(app, rt.settings.app_monthly_limit),
                               now)
    return Accepted([], left, row.receipt, scheduled=row.public_id)
