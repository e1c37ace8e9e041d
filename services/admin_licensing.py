"""Operator commands for licences: grant, revoke, and licence credits for applications."""

from __future__ import annotations

from typing import Any

from overpush import licenses
from overpush.db import insert_ignore
from overpush.licensing import PLATFORMS, platform_code
from overpush.models import LicenseCredits, User
from overpush.runtime import Runtime
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin import AdminError, _app


def _platform(name: str) -> str:
    code = platform_code(name)
    if code is None:
        raise AdminError(f"not a platform: {name!r} (iOS, Android or Desktop)")
    return code


async def _user(session: AsyncSession, email: str) -> User:
    user = await session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise AdminError(f"no user with e-mail {email}")
    return user


async def grant_license(rt: Runtime, email: str, platform: str) -> dict[str, Any]:
    os = _platform(platform)
    async with rt.sessions() as session, session.begin():
        user = await _user(session, email)
        fresh = await licenses.grant(session, user.id, os, rt.clock.now())
    return {"email": user.email, "platform": PLATFORMS[os], "licensed": True,
            "already": not fresh}


async def revoke_license(rt: Runtime, email: str, platform: str) -> dict[str, Any]:
    os = _platform(platform)
    async with rt.sessions() as session, session.begin():
        user = await _user(session, email)
        done = await licenses.revoke(session, user.id, os)
    if not done:
        raise AdminError(f"{user.email} has no {PLATFORMS[os]} licence")
    return {"email": user.email, "platform": PLATFORMS[os], "licensed": False}


async def add_credits(rt: Runtime, token: str, amount: int) -> dict[str, Any]:
    """Licence credits the application may spend with /1/licenses/assign.json."""
    if amount < 1:
        raise AdminError("add at least one credit")
    async with rt.sessions() as session, session.begin():
        app = await _app(session, token)
        await session.execute(insert_ignore(
            session, LicenseCredits, [{"app_id": app.id, "credits": 0}], ["app_id"]))
        credits = (await session.execute(
            update(LicenseCredits).where(LicenseCredits.app_id == app.id)
            .values(credits=LicenseCredits.credits + amount).returning(LicenseCredits.credits)
        )).scalar_one()
    return {"token": app.token, "added": amount, "credits": credits}
