"""Operator commands: create users and applications in whichever database the settings name."""

from __future__ import annotations

import re
from typing import Any

from overpush.ids import random_key
from overpush.models import App, Group, User
from overpush.runtime import Runtime
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

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
    user = User(user_key=key, email=email, password_hash=await rt.passwords.hash(password),
                created_at=rt.clock.now())
    try:
        async with rt.sessions() as session, session.begin():
            session.add(user)
    except IntegrityError:
        raise AdminError(f"a user with e-mail {email} already exists") from None
    return {"user_key": user.user_key, "email": user.email}


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
