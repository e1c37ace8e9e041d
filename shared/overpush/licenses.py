"""Platform licences: each account's state per platform (pure), and the store of trials,
grants, revocations and pending grants, and the licence credits applications spend."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import users
from overpush.db import insert_ignore
from overpush.errors import ApiError, E
from overpush.models import LicenseCredits, PendingLicense, PlatformLicense, TeamMember
from overpush.platforms import CODES
from overpush.settings import Settings


class State(StrEnum):
    NONE = "none"  # no device of this platform yet: no trial has begun
    TRIAL = "trial"
    GRACE = "grace"  # the trial is over; delivery goes on for the grace period
    LICENSED = "licensed"
    TEAM = "team"  # team members need no platform licences
    EXPIRED = "expired"


@dataclass(frozen=True)
class Terms:
    enforced: bool
    trial: timedelta
    grace: timedelta


def platform_state(trial_started_at: datetime | None, licensed_at: datetime | None,
                   now: datetime, terms: Terms, team_member: bool = False) -> State:
    """A licence (or team membership) always wins; otherwise the trial runs for `trial` from
    the first device, then `grace` more, both half-open: at exactly trial end it is GRACE, at
    exactly grace end EXPIRED."""
    if licensed_at is not None:
        return State.LICENSED
    if team_member:
        return State.TEAM
    if trial_started_at is None:
        return State.NONE
    if now < trial_started_at + terms.trial:
        return State.TRIAL
    if now < trial_started_at + terms.trial + terms.grace:
        return State.GRACE
    return State.EXPIRED


def may_deliver(state: State, terms: Terms) -> bool:
    """Whether the dispatcher queues messages to devices in this state."""
    return not terms.enforced or state is not State.EXPIRED


def is_licensed(state: State, terms: Terms) -> bool:
    """What clients are told (is_ios_licensed, validate.json `licenses`): with enforcement
    off every platform is licensed, since nothing will ever stop."""
    return not terms.enforced or state in (State.LICENSED, State.TEAM)


def terms_of(settings: Settings) -> Terms:
    return Terms(settings.licensing_enforced, timedelta(days=settings.license_trial_days),
                 timedelta(hours=settings.license_grace_hours))


async def _row(session: AsyncSession, user_id: int, os: str) -> None:
    await session.execute(insert_ignore(
        session, PlatformLicense, [{"user_id": user_id, "platform": os}], ["user_id", "platform"]
    ))


async def start_trial(session: AsyncSession, user_id: int, os: str, now: datetime) -> None:
    """The first device of a platform starts its trial (later devices change nothing), and
    a licence waiting for "the first platform the user registers" is bound now."""
    await _row(session, user_id, os)
    await session.execute(update(PlatformLicense).where(
        PlatformLicense.user_id == user_id, PlatformLicense.platform == os,
        PlatformLicense.trial_started_at.is_(None),
    ).values(trial_started_at=now))
    await apply_pending(session, user_id, now)


async def grant(session: AsyncSession, user_id: int, os: str, now: datetime) -> bool:
    """License one platform of an account; False when it already was."""
    await _row(session, user_id, os)
    done = await session.execute(update(PlatformLicense).where(
        PlatformLicense.user_id == user_id, PlatformLicense.platform == os,
        PlatformLicense.licensed_at.is_(None),
    ).values(licensed_at=now))
    return bool(getattr(done, "rowcount", 0))


async def revoke(session: AsyncSession, user_id: int, os: str) -> bool:
    done = await session.execute(update(PlatformLicense).where(
        PlatformLicense.user_id == user_id, PlatformLicense.platform == os,
        PlatformLicense.licensed_at.is_not(None),
    ).values(licensed_at=None))
    return bool(getattr(done, "rowcount", 0))


async def _first_unlicensed(session: AsyncSession, user_id: int) -> str | None:
    os: str | None = await session.scalar(
        select(PlatformLicense.platform).where(
            PlatformLicense.user_id == user_id, PlatformLicense.licensed_at.is_(None),
            PlatformLicense.trial_started_at.is_not(None),
        ).order_by(PlatformLicense.trial_started_at, PlatformLicense.platform).limit(1)
    )
    return os


async def grant_or_hold(session: AsyncSession, user_id: int, os: str | None, now: datetime,
                        app_id: int | None = None) -> str | None:
    """Grant on `os`, or with no platform on the first one the user registered that has no
    licence yet; with none such, the licence waits for the next platform registered. Returns
    the platform licensed now, or None when it waits."""
    target = os or await _first_unlicensed(session, user_id)
    if target is not None:
        await grant(session, user_id, target, now)
        return target
    session.add(PendingLicense(user_id=user_id, platform=None, app_id=app_id, created_at=now))
    return None


async def hold_for_email(session: AsyncSession, email: str, os: str | None, now: datetime,
                         app_id: int | None = None) -> None:
    session.add(PendingLicense(email=email.strip().lower(), platform=os, app_id=app_id,
                               created_at=now))


async def claim_email(session: AsyncSession, user_id: int, email: str, now: datetime) -> None:
    """At sign-up: licences assigned to this address before it had an account become its."""
    await session.execute(update(PendingLicense).where(
        PendingLicense.email == email.strip().lower(), PendingLicense.user_id.is_(None),
    ).values(user_id=user_id, email=None))
    await apply_pending(session, user_id, now)


async def apply_pending(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Bind this account's waiting licences that can be bound: each row is claimed by its
    DELETE, so two concurrent registrations never spend one licence twice."""
    pending = (await session.execute(
        select(PendingLicense.id, PendingLicense.platform)
        .where(PendingLicense.user_id == user_id).order_by(PendingLicense.id)
    )).all()
    for pid, os in pending:
        target = os or await _first_unlicensed(session, user_id)
        if target is None:
            continue
        gone = await session.scalar(
            delete(PendingLicense).where(PendingLicense.id == pid).returning(PendingLicense.id)
        )
        if gone is not None:
            await grant(session, user_id, target, now)


async def states(session: AsyncSession, user_ids: Collection[int], now: datetime,
                 terms: Terms, team_members: Collection[int] = ()) -> dict[tuple[int, str], State]:
    """The state of every (user, platform) that has a row; a missing pair is State.NONE (or
    TEAM for a team member)."""
    if not user_ids:
        return {}
    rows = (await session.execute(
        select(PlatformLicense.user_id, PlatformLicense.platform,
               PlatformLicense.trial_started_at, PlatformLicense.licensed_at)
        .where(PlatformLicense.user_id.in_(list(user_ids)))
    )).all()
    return {(r.user_id, r.platform): platform_state(
        r.trial_started_at, r.licensed_at, now, terms, r.user_id in team_members) for r in rows}


async def team_members(session: AsyncSession, user_ids: Collection[int]) -> set[int]:
    """Which of these accounts are team members (they need no platform licences)."""
    if not user_ids:
        return set()
    return set((await session.scalars(
        select(TeamMember.user_id).where(TeamMember.user_id.in_(list(user_ids)))
    )).all())


async def licensed(session: AsyncSession, user_id: int, now: datetime,
                   terms: Terms) -> set[str]:
    """The os codes this account is licensed on, as clients are told."""
    team_member = bool(await team_members(session, [user_id]))
    found = await states(session, [user_id], now, terms, [user_id] if team_member else [])
    return {os for os in CODES
            if is_licensed(found.get((user_id, os), State.TEAM if team_member else State.NONE),
                           terms)}


async def blocked(session: AsyncSession, settings: Settings, user_ids: Collection[int],
                  now: datetime) -> set[tuple[int, str]]:
    """Which (user, platform) pairs the dispatcher must not queue to: trial and grace are
    over (nothing, with licensing not enforced)."""
    terms = terms_of(settings)
    if not terms.enforced or not user_ids:
        return set()
    found = await states(session, user_ids, now, terms, await team_members(session, user_ids))
    return {pair for pair, state in found.items() if not may_deliver(state, terms)}


async def add_credits(session: AsyncSession, app_id: int, amount: int) -> int:
    """Licence credits the application may spend (an operator's command); the new balance."""
    await session.execute(insert_ignore(
        session, LicenseCredits, [{"app_id": app_id, "credits": 0}], ["app_id"]))
    return (await session.execute(
        update(LicenseCredits).where(LicenseCredits.app_id == app_id)
        .values(credits=LicenseCredits.credits + amount).returning(LicenseCredits.credits)
    )).scalar_one()


async def credits_of(session: AsyncSession, app_id: int) -> int:
    credits = await session.scalar(
        select(LicenseCredits.credits).where(LicenseCredits.app_id == app_id))
    return credits or 0


async def assign(session: AsyncSession, app_id: int, user_key: str, email: str,
                 os: str | None, now: datetime) -> int:
    """Spend one of the application's credits on the account with this user key or, without
    one, on this address (the Licensing API's assign.json); the credits left. Refusals raise
    ApiError; the caller's transaction then rolls the spent credit back."""
    credits = await session.scalar(
        update(LicenseCredits)
        .where(LicenseCredits.app_id == app_id, LicenseCredits.credits >= 1)
        .values(credits=LicenseCredits.credits - 1).returning(LicenseCredits.credits))
    if credits is None:
        raise ApiError.of(E.LICENSE_NO_CREDITS)
    if user_key:
        user_id = await users.id_for_key(session, user_key)
        if user_id is None:
            raise ApiError.of(E.USER_INVALID)
    else:
        # Only a confirmed account takes a licence by address; otherwise it waits for
        # whoever confirms the address (accounts.confirm claims it).
        user_id = await users.confirmed_id_for_email(session, email)
    if user_id is None:  # volume licensing: applied when this address is confirmed
        await hold_for_email(session, email, os, now, app_id)
    else:
        await grant_or_hold(session, user_id, os, now, app_id)
    return int(credits)
