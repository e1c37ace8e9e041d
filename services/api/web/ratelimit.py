"""Log-in rate limits: failures counted per key in a fixed window, in the database so that
every api replica sees the same count."""

from __future__ import annotations

from datetime import timedelta

from overpush.db import insert_ignore
from overpush.models import LoginAttempts
from overpush.runtime import Runtime
from sqlalchemy import delete, select, update


def keys(email: str, client: str) -> list[tuple[str, int]]:
    return [(f"email:{email.lower()}", 0), (f"client:{client}", 1)]


async def blocked(rt: Runtime, email: str, client: str) -> bool:
    limits = (rt.settings.login_failures_per_email, rt.settings.login_failures_per_client)
    since = rt.clock.now() - timedelta(seconds=rt.settings.login_window_seconds)
    async with rt.sessions() as session:
        for key, which in keys(email, client):
            row = await session.get(LoginAttempts, key)
            if row is not None and row.window_start > since and row.failures >= limits[which]:
                return True
    return False


async def record_failure(rt: Runtime, email: str, client: str) -> None:
    now = rt.clock.now()
    since = now - timedelta(seconds=rt.settings.login_window_seconds)
    async with rt.sessions() as session, session.begin():
        for key, _ in keys(email, client):
            await session.execute(insert_ignore(
                session, LoginAttempts, [{"key": key, "window_start": now, "failures": 0}],
                ["key"],
            ))
            # A window that ended starts again; one conditional UPDATE per case, no read.
            await session.execute(update(LoginAttempts).where(
                LoginAttempts.key == key, LoginAttempts.window_start <= since
            ).values(window_start=now, failures=0))
            await session.execute(update(LoginAttempts).where(LoginAttempts.key == key)
                                  .values(failures=LoginAttempts.failures + 1))


async def clear(rt: Runtime, email: str) -> None:
    async with rt.sessions() as session, session.begin():
        await session.execute(delete(LoginAttempts).where(
            LoginAttempts.key == f"email:{email.lower()}"))


async def failures(rt: Runtime, key: str) -> int:
    async with rt.sessions() as session:
        return int(await session.scalar(
            select(LoginAttempts.failures).where(LoginAttempts.key == key)) or 0)
