"""Two-factor authentication: TOTP codes, checked once per account and throttled, and an
operator's reset of it."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import throttle
from overpush.models import RecoveryCode, User
from overpush.runtime import Runtime

# TOTP: RFC 6238 with 30-second steps; a code is accepted for the step before and after the
# current one (clock drift), and each step's code once per account: `totp_last_step`
# remembers the last step used, and only a later step is accepted after it.
STEP_SECONDS = 30
Outcome = Literal["ok", "wrong", "throttled"]


def totp_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The step whose code `code` is (current one +-1), later than `after`; None if none."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and \
                hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


async def use_totp(session: AsyncSession, user_id: int, secret: str, code: str,
                   now: datetime) -> bool:
    """Spend a TOTP code: accepted once per account, by one conditional UPDATE, so two
    sessions racing with the same code cannot both pass."""
    last = await session.scalar(select(User.totp_last_step).where(User.id == user_id))
    step = totp_step(secret, code, now, last)
    if step is None:
        return False
    done = await session.scalar(
        update(User).where(User.id == user_id, or_(User.totp_last_step.is_(None),
                                                   User.totp_last_step < step))
        .values(totp_last_step=step).returning(User.id))
    return done is not None


async def second_factor(rt: Runtime, user: User, code: str, session_key: str,
                        fallback: Callable[[AsyncSession], Awaitable[bool]] | None = None,
                        ) -> Outcome:
    """Check a second factor, throttled per account and per session (`session_key`: the
    browser session, or the client address on the API). Over the limit even the right code
    is refused, so guessing gains nothing. `fallback` tries a recovery code."""
    limits = throttle.twofa_limits(rt, user.id, session_key)
    if await throttle.over(rt, limits):
        return "throttled"
    async with rt.sessions() as session, session.begin():
        ok = bool(user.totp_secret) and await use_totp(
            session, user.id, user.totp_secret or "", code, rt.clock.now())
        if not ok and fallback is not None:
            ok = await fallback(session)
    if not ok:
        await throttle.count(rt, throttle.keys_of(limits))
        return "wrong"
    await throttle.clear(rt, [f"2fa-session:{session_key}"])
    return "ok"


async def reset_two_factor(session: AsyncSession, user_id: int) -> None:
    """2FA off: the secret, a set-up in progress and the recovery codes are gone (an operator
    does this for someone who lost both their authenticator and their codes)."""
    await session.execute(update(User).where(User.id == user_id).values(
        totp_enabled=False, totp_secret=None, totp_pending_secret=None))
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Overpush")
