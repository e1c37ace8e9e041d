"""Operator commands: users, applications, e-mail aliases, custom sounds, limits, capacity."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from overpush import accounts, aliases, quota, users
from overpush.ids import random_key
from overpush.models import App, CustomSound
from overpush.runtime import Runtime
from overpush.sounds import MAX_SOUND_BYTES, audio_extension, custom_name_problem
from sqlalchemy.exc import IntegrityError

from services.admin.lookup import app_by_token, refuse


async def create_user(rt: Runtime, email: str, password: str) -> dict[str, Any]:
    user, address = await accounts.create_user(rt, email, password)
    return {"user_key": user.user_key, "email": user.email, "email_alias": address}


async def create_app(rt: Runtime, email: str, name: str) -> dict[str, Any]:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise refuse("the application name must have 1 to 100 characters")
    async with rt.sessions() as session, session.begin():
        owner = await users.by_email(session, email)
        if owner is None:
            raise refuse(f"no user with e-mail {email}")
        app = App(token=random_key(), name=name, owner_id=owner.id, created_at=rt.clock.now())
        session.add(app)
    return {"token": app.token, "name": app.name, "owner": owner.email}


async def _user_id(rt: Runtime, email: str) -> int:
    async with rt.sessions() as session:
        uid = await users.id_for_email(session, email)
    if uid is None:
        raise refuse(f"no user with e-mail {email}")
    return uid


async def alias_command(rt: Runtime, action: str, email: str,
                        options: dict[str, str | None]) -> Any:
    """`overpush admin alias list|create|delete EMAIL ...`: a user's e-mail gateway addresses."""
    uid = await _user_id(rt, email)
    if action == "list":
        return {"aliases": await aliases.list_aliases(rt, uid)}
    if action == "create":
        return {"alias": await aliases.create_alias(rt, uid, options)}
    await aliases.delete_alias(rt, uid, options.get("alias") or "")
    return {"deleted": options.get("alias")}


async def add_sound(rt: Runtime, token: str, name: str, path: str,
                    description: str | None = None) -> dict[str, Any]:
    """Upload a custom sound (mp3 or wav, checked by its bytes) for one application."""
    problem = custom_name_problem(name)
    if problem:
        raise refuse(problem)
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        raise refuse(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_SOUND_BYTES:
        raise refuse(f"the sound file is larger than {MAX_SOUND_BYTES} bytes")
    ext = audio_extension(data)
    if ext is None:
        raise refuse("the sound file must be an MP3 or WAV file")
    desc = (description or name).strip()[:100]
    try:
        async with rt.sessions() as session, session.begin():
            app = await app_by_token(session, token)
            session.add(CustomSound(app_id=app.id, name=name, description=desc, extension=ext,
                                    data=data, created_at=rt.clock.now()))
    except IntegrityError:
        raise refuse(f"application already has a sound named {name}") from None
    return {"sound": name, "description": desc, "type": ext, "bytes": len(data),
            "url": f"/sounds/{app.id}/{name}.{ext}"}


async def set_limit(rt: Runtime, token: str, limit: int) -> dict[str, Any]:
    """Set one application's monthly allowance (0 = back to OVERPUSH_APP_MONTHLY_LIMIT)."""
    if limit < 0:
        raise refuse("the limit must be 0 or more")
    async with rt.sessions() as session, session.begin():
        app = await app_by_token(session, token)
        app.monthly_limit = limit or None
    return {"token": app.token, "monthly_limit": limit or rt.settings.app_monthly_limit}


async def add_capacity(rt: Runtime, token: str, amount: int) -> dict[str, Any]:
    """Add purchased capacity: used after the monthly allowance, kept until used up."""
    try:
        async with rt.sessions() as session, session.begin():
            app = await app_by_token(session, token)
            remaining = await quota.add_capacity(session, app.id, amount)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    return {"token": app.token, "added": amount, "capacity_remaining": remaining}
