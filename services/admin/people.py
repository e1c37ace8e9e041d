"""Operator commands that look at or remove accounts and applications, and reset 2FA."""

from __future__ import annotations

from typing import Any

from overpush import revoke, two_factor
from overpush.models import App, Device, Team, User
from overpush.runtime import Runtime
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.lookup import app_by_token, refuse, user_by_email


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def list_users(rt: Runtime) -> dict[str, Any]:
    """Every account with its key, how many applications and devices it has, and its 2FA."""
    apps = select(App.owner_id, func.count().label("n")).group_by(App.owner_id).subquery()
    devices = select(Device.user_id, func.count().label("n")).group_by(Device.user_id).subquery()
    query = (select(User, func.coalesce(apps.c.n, 0), func.coalesce(devices.c.n, 0))
             .outerjoin(apps, apps.c.owner_id == User.id)
             .outerjoin(devices, devices.c.user_id == User.id).order_by(User.id))
    async with rt.sessions() as session:
        rows = (await session.execute(query)).all()
    return {"users": [{
        "email": u.email, "user_key": u.user_key, "created_at": _when(u.created_at),
        "confirmed": u.email_confirmed_at is not None, "two_factor": bool(u.totp_enabled),
        "apps": int(n_apps), "devices": int(n_devices),
    } for u, n_apps, n_devices in rows]}


async def list_apps(rt: Runtime, email: str) -> dict[str, Any]:
    """A user's applications with their tokens and monthly limits."""
    async with rt.sessions() as session:
        owner = await user_by_email(session, email)
        apps = (await session.scalars(
            select(App).where(App.owner_id == owner.id).order_by(App.id))).all()
    default = rt.settings.app_monthly_limit
    return {"email": owner.email, "apps": [{
        "token": a.token, "name": a.name, "created_at": _when(a.created_at),
        "monthly_limit": a.monthly_limit or default,
    } for a in apps]}


async def user_summary(rt: Runtime, email: str) -> str:
    """What deleting this user takes with it, in words, for the confirmation question."""
    async with rt.sessions() as session:
        user = await user_by_email(session, email)
        n_apps = await _count(session, App, App.owner_id == user.id)
        n_devices = await _count(session, Device, Device.user_id == user.id)
    return (f"user {user.email} with {n_apps} application(s), {n_devices} device(s) and "
            f"all their messages")


async def app_summary(rt: Runtime, token: str) -> str:
    async with rt.sessions() as session:
        app = await app_by_token(session, token)
    return f"application {app.name!r} ({app.token}) with its messages, receipts and sounds"


async def _count(session: AsyncSession, table: Any, where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(table).where(where)) or 0)


async def delete_user(rt: Runtime, email: str) -> dict[str, Any]:
    """Delete an account and everything that hangs on it (its applications, devices,
    messages, groups, addresses, sessions: the foreign keys cascade). A team's
    administrator is refused: the team would go with them."""
    async with rt.sessions() as session, session.begin():
        user = await user_by_email(session, email)
        team = await session.scalar(select(Team.name).where(Team.admin_id == user.id))
        if team is not None:
            raise refuse(f"{user.email} administers team {team!r}; make someone else its "
                         f"administrator first")
        # Its devices' open WebSockets are told `E` and closed by the server's relay.
        revoke.tell_devices(session, rt, list((await session.scalars(
            select(Device.public_id).where(Device.user_id == user.id))).all()))
        await session.execute(delete(User).where(User.id == user.id))
    return {"deleted": user.email, "user_key": user.user_key}


async def delete_app(rt: Runtime, token: str) -> dict[str, Any]:
    """Delete an application with its messages, receipts, sounds and usage (cascade)."""
    async with rt.sessions() as session, session.begin():
        app = await app_by_token(session, token)
        await session.execute(delete(App).where(App.id == app.id))
    return {"deleted": app.token, "name": app.name}


async def reset_two_factor(rt: Runtime, email: str) -> dict[str, Any]:
    """Turn a user's 2FA off (secret and recovery codes gone), for one who lost both: they
    log in with the password alone and may set it up again. Like any change of the second
    factor, every browser session and device secret ends (revoke.everything)."""
    async with rt.sessions() as session, session.begin():
        user = await user_by_email(session, email)
        was_on = bool(user.totp_enabled)
        await two_factor.reset_two_factor(session, user.id)
        revoke.tell_devices(session, rt, await revoke.everything(session, user.id))
    return {"email": user.email, "two_factor": False, "was_enabled": was_on}
