"""The intake's lookups for a batch: each request's application, recipients and sound."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import escalations
from overpush.apps import OWNER_CONFIRMED
from overpush.db import table_of
from overpush.errors import ApiError, E
from overpush.intake.plans import Outcome, Plan, Request, Sender
from overpush.intake.recipients import Recipient, resolve
from overpush.intake.validate import MessageDraft
from overpush.models import App, CustomSound
from overpush.quota import PURCHASED_OF_APP
from overpush.sounds import BUILTIN_SOUNDS

# Built once, as plain columns: every send asks it, and an ORM entity per request would cost
# an identity-map entry and an instance (the intake needs three columns of the app).
_A = table_of(App)
_APPS = select(_A.c.id, _A.c.token, _A.c.monthly_limit, _A.c.team_id,
               func.coalesce(PURCHASED_OF_APP, 0)).where(
    _A.c.token.in_(bindparam("tokens", expanding=True)), OWNER_CONFIRMED)


async def lookups(session: AsyncSession, requests: Sequence[Request],
                  outcomes: list[Outcome | None]) -> list[Plan]:
    """Token, recipients and sound of each request; a request that fails one is answered
    with its error here and goes no further. Identical lookups run once per batch."""
    tokens = {r.draft.token for r in requests}
    apps = {r.token: Sender(*r) for r in (await session.execute(
        _APPS, {"tokens": list(tokens)})).all()}
    recipients_of: dict[tuple[int, tuple[str, ...], tuple[str, ...]],
                        list[Recipient] | ApiError] = {}
    sound_error: dict[tuple[int, str], ApiError | None] = {}
    plans = []
    for i, request in enumerate(requests):
        draft = request.draft
        try:
            app = apps.get(draft.token)
            if app is None:
                raise ApiError.of(E.TOKEN_INVALID)
            key = (app.id, draft.users, draft.devices)
            if key not in recipients_of:
                recipients_of[key] = await _resolved(session, draft, app.id)
            if isinstance(recipients := recipients_of[key], ApiError):
                raise ApiError(list(recipients.errors))  # each request its own error
            sound = draft.sound
            if sound is not None and sound not in BUILTIN_SOUNDS:
                if (app.id, sound) not in sound_error:
                    sound_error[app.id, sound] = await _unknown_sound(session, app.id, sound)
                if (error := sound_error[app.id, sound]) is not None:
                    raise ApiError(list(error.errors))
            levels = None if draft.escalation is None else await escalations.for_send(
                session, app.id, draft)
        except ApiError as err:
            outcomes[i] = err
            continue
        plans.append(Plan(i, request, app, recipients, escalation=levels))
    return plans


async def check(session: AsyncSession, draft: MessageDraft) -> Sender:
    """The lookups of one request (token, recipients, sound), raising its error; its app."""
    outcomes: list[Outcome | None] = [None]
    plans = await lookups(session, [Request(draft, "", "check")], outcomes)
    if isinstance(error := outcomes[0], BaseException):
        raise error
    return plans[0].app


async def _resolved(session: AsyncSession, draft: MessageDraft,
                    app_id: int) -> list[Recipient] | ApiError:
    try:
        return await resolve(session, draft.users, draft.devices, app_id)
    except ApiError as err:
        return err


async def _unknown_sound(session: AsyncSession, app_id: int, sound: str) -> ApiError | None:
    """A sender may use the sounds uploaded for its own application, and no others."""
    if await session.scalar(select(exists().where(
        CustomSound.app_id == app_id, CustomSound.name == sound
    ))):
        return None
    return ApiError.of(E.SOUND_INVALID, f"sound {sound!r} is not a valid sound")
