"""Operator commands: users, applications, custom sounds, limits and purchased capacity."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from overpush import licenses, quota
from overpush.errors import ApiError
from overpush.ids import random_key
from overpush.models import App, CustomSound, Group, User
from overpush.runtime import Runtime
from overpush.sounds import MAX_SOUND_BYTES, audio_extension, custom_name_problem
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailgw import aliases

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AdminError(Exception):
    pass


async def create_user(rt: Runtime, email: str, password: str) -> dict[str, Any]:
    email = email.strip()
    if not EMAIL.match(email):
        raise AdminError(f"not an e-mail address: {email!r}")
    if len(password) < 8:
        raise AdminError("the password must have at least 8 characters")
    key = random_key()
    async with rt.sessions() as session:  # user and group keys share one namespace
        while await session.scalar(select(exists().where(Group.group_key == key))):
            key = random_key()
    now = rt.clock.now()
    # An operator vouches for the address: no confirmation mail is needed.
    user = User(user_key=key, email=email, password_hash=await rt.passwords.hash(password),
                created_at=now, email_confirmed_at=now)
    try:
        async with rt.sessions() as session, session.begin():
            session.add(user)
            await session.flush()
            account = await aliases.ensure_account(session, rt, user.id)  # their e-mail address
            address = await aliases.default_address(session, rt, account.user_id)
            await licenses.claim_email(session, user.id, email, now)  # volume licensing
    except IntegrityError:
        raise AdminError(f"a user with e-mail {email} already exists") from None
    return {"user_key": user.user_key, "email": user.email, "email_alias": address}


async def create_app(rt: Runtime, email: str, name: str) -> dict[str, Any]:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise AdminError("the application name must have 1 to 100 characters")
    async with rt.sessions() as session, session.begin():
        owner = await session.scalar(select(User).where(User.email == email.strip()))
        if owner is None:
            raise AdminError(f"no user with e-mail {email}")
        app = App(token=random_key(), name=name, owner_id=owner.id, created_at=rt.clock.now())
        session.add(app)
    return {"token": app.token, "name": app.name, "owner": owner.email}


async def _user_id(rt: Runtime, email: str) -> int:
    async with rt.sessions() as session:
        uid = await session.scalar(select(User.id).where(User.email == email.strip()))
    if uid is None:
        raise AdminError(f"no user with e-mail {email}")
    return uid


async def alias_command(rt: Runtime, action: str, email: str,
                        options: dict[str, str | None]) -> Any:
    """`overpush admin alias list|create|delete EMAIL ...`: a user's e-mail gateway addresses."""
    uid = await _user_id(rt, email)
    try:
        if action == "list":
            return {"aliases": await aliases.list_aliases(rt, uid)}
        if action == "create":
            return {"alias": await aliases.create_alias(rt, uid, options)}
        await aliases.delete_alias(rt, uid, options.get("alias") or "")
        return {"deleted": options.get("alias")}
    except ApiError as exc:
        raise AdminError("; ".join(e.message for e in exc.errors)) from None


async def _app(session: AsyncSession, token: str) -> App:
    app = await session.scalar(select(App).where(App.token == token.strip()))
    if app is None:
        raise AdminError(f"no application with token {token}")
    return app


async def add_sound(rt: Runtime, token: str, name: str, path: str,
                    description: str | None = None) -> dict[str, Any]:
    """Upload a custom sound (mp3 or wav, checked by its bytes) for one application."""
    problem = custom_name_problem(name)
    if problem:
        raise AdminError(problem)
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_SOUND_BYTES:
        raise AdminError(f"the sound file is larger than {MAX_SOUND_BYTES} bytes")
    ext = audio_extension(data)
    if ext is None:
        raise AdminError("the sound file must be an MP3 or WAV file")
    desc = (description or name).strip()[:100]
    try:
        async with rt.sessions() as session, session.begin():
            app = await _app(session, token)
            session.add(CustomSound(app_id=app.id, name=name, description=desc, extension=ext,
                                    data=data, created_at=rt.clock.now()))
    except IntegrityError:
        raise AdminError(f"application already has a sound named {name}") from None
    return {"sound": name, "description": desc, "type": ext, "bytes": len(data),
            "url": f"/sounds/{app.id}/{name}.{ext}"}


async def set_limit(rt: Runtime, token: str, limit: int) -> dict[str, Any]:
    """Set one application's monthly allowance (0 = back to OVERPUSH_APP_MONTHLY_LIMIT)."""
    if limit < 0:
        raise AdminError("the limit must be 0 or more")
    async with rt.sessions() as session, session.begin():
        app = await _app(session, token)
        app.monthly_limit = limit or None
    return {"token": app.token, "monthly_limit": limit or rt.settings.app_monthly_limit}


async def add_capacity(rt: Runtime, token: str, amount: int) -> dict[str, Any]:
    """Add purchased capacity: used after the monthly allowance, kept until used up."""
    try:
        async with rt.sessions() as session, session.begin():
            app = await _app(session, token)
            remaining = await quota.add_capacity(session, app.id, amount)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    return {"token": app.token, "added": amount, "capacity_remaining": remaining}
