"""Failure and attempt counters per key in a fixed window, in the database so that every api
replica sees the same count (table login_attempts).

Keys name what is counted: `email:<identity key>` and `client:<address>` for log-ins (both
paths), `2fa:<user id>` and `2fa-session:<session>` for second factors, `signup:<address>`,
`reset:<identity key>` and `reset-client:<address>` for sign-ups and reset mails. A check
(`over`) always comes before the work it protects, so a blocked attempt costs one read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select, update

from overpush.db import insert_ignore
from overpush.models import LoginAttempts
from overpush.runtime import Runtime

Limit = tuple[str, int]  # (key, how many in a window)
MAX_KEY = 340  # the column's width: a longer key (a huge address) is cut, never refused


def _key(key: str) -> str:
    return key[:MAX_KEY]


async def over(rt: Runtime, limits: Sequence[Limit]) -> bool:
    """Whether any key already reached its limit in the current window."""
    since = rt.clock.now() - timedelta(seconds=rt.settings.login_window_seconds)
    async with rt.sessions() as session:
        for key, limit in limits:
            row = await session.get(LoginAttempts, _key(key))
            if row is not None and row.window_start > since and row.failures >= limit:
                return True
    return False


async def count(rt: Runtime, keys: Sequence[str]) -> None:
    """One more for each key (a window that ended starts again)."""
    now = rt.clock.now()
    since = now - timedelta(seconds=rt.settings.login_window_seconds)
    async with rt.sessions() as session, session.begin():
        for key in dict.fromkeys(_key(k) for k in keys):
            await session.execute(insert_ignore(
                session, LoginAttempts, [{"key": key, "window_start": now, "failures": 0}],
                ["key"],
            ))
            # One conditional UPDATE per case, no read.
            await session.execute(update(LoginAttempts).where(
                LoginAttempts.key == key, LoginAttempts.window_start <= since
            ).values(window_start=now, failures=0))
            await session.execute(update(LoginAttempts).where(LoginAttempts.key == key)
                                  .values(failures=LoginAttempts.failures + 1))


async def clear(rt: Runtime, keys: Sequence[str]) -> None:
    async with rt.sessions() as session, session.begin():
        await session.execute(delete(LoginAttempts).where(
            LoginAttempts.key.in_([_key(k) for k in keys])))


async def failures(rt: Runtime, key: str) -> int:
    async with rt.sessions() as session:
        return int(await session.scalar(
            select(LoginAttempts.failures).where(LoginAttempts.key == _key(key))) or 0)


# The keys and limits of each kind of attempt, from the settings.

def login_limits(rt: Runtime, identity: str, client: str) -> list[Limit]:
    s = rt.settings
    return [(f"email:{identity}", s.login_failures_per_email),
            (f"client:{client}", s.login_failures_per_client)]


def twofa_limits(rt: Runtime, user_id: int, session_key: str) -> list[Limit]:
    """A second factor: per account (every path and session together) and per session (a
    browser session, or the client address on the API)."""
    s = rt.settings
    return [(f"2fa:{user_id}", s.twofa_failures_per_account),
            (f"2fa-session:{session_key}", s.twofa_failures_per_session)]


def signup_limits(rt: Runtime, client: str) -> list[Limit]:
    return [(f"signup:{client}", rt.settings.signups_per_client)]


def reset_limits(rt: Runtime, identity: str, client: str) -> list[Limit]:
    s = rt.settings
    return [(f"reset:{identity}", s.reset_mails_per_email),
            (f"reset-client:{client}", s.reset_mails_per_client)]


def keys_of(limits: Sequence[Limit]) -> list[str]:
    return [key for key, _ in limits]
