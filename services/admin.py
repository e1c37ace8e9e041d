"""Operator commands: create users and applications in whichever database the settings name."""

from __future__ import annotations

import re
from typing import Any

from overpush.errors import ApiError
from overpush.ids import random_key
from overpush.models import App, User
from overpush.runtime import Runtime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

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
    now = rt.clock.now()
    # An operator vouches for the address: no confirmation mail is needed.
    user = User(user_key=random_key(), email=email, password_hash=await rt.passwords.hash(password),
                created_at=now, email_confirmed_at=now)
    try:
        async with rt.sessions() as session, session.begin():
            session.add(user)
            await session.flush()
            account = await aliases.ensure_account(session, rt, user.id)  # their e-mail address
            address = await aliases.default_address(session, rt, account.user_id)
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
