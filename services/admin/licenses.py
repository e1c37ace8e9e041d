"""Operator commands for licences: grant, revoke, and licence credits for applications."""

from __future__ import annotations

from typing import Any

from overpush import licenses
from overpush.platforms import name_of, platform_code
from overpush.runtime import Runtime

from services.admin.lookup import app_by_token, refuse, user_by_email


def _platform(name: str) -> str:
    code = platform_code(name)
    if code is None:
        raise refuse(f"not a platform: {name!r} (iOS, Android or Desktop)")
    return code


async def grant_license(rt: Runtime, email: str, platform: str) -> dict[str, Any]:
    os = _platform(platform)
    async with rt.sessions() as session, session.begin():
        user = await user_by_email(session, email)
        fresh = await licenses.grant(session, user.id, os, rt.clock.now())
    return {"email": user.email, "platform": name_of(os), "licensed": True,
            "already": not fresh}


async def revoke_license(rt: Runtime, email: str, platform: str) -> dict[str, Any]:
    os = _platform(platform)
    async with rt.sessions() as session, session.begin():
        user = await user_by_email(session, email)
        done = await licenses.revoke(session, user.id, os)
    if not done:
        raise refuse(f"{user.email} has no {name_of(os)} licence")
    return {"email": user.email, "platform": name_of(os), "licensed": False}


async def add_credits(rt: Runtime, token: str, amount: int) -> dict[str, Any]:
    """Licence credits the application may spend with /1/licenses/assign.json."""
    if amount < 1:
        raise refuse("add at least one credit")
    async with rt.sessions() as session, session.begin():
        app = await app_by_token(session, token)
        credits = await licenses.add_credits(session, app.id, amount)
    return {"token": app.token, "added": amount, "credits": credits}
