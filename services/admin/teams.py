"""Operator commands for teams: create, assign the team's application, phones, SMS delay."""

from __future__ import annotations

import re
from typing import Any

from overpush import teams
from overpush.errors import ApiError
from overpush.ids import digest, random_key
from overpush.models import App, Team
from overpush.runtime import Runtime
from sqlalchemy import update

from services.admin.lookup import app_by_token, refuse, team_by_name, user_by_email

PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")  # E.164


async def create_team(rt: Runtime, name: str, admin_email: str) -> dict[str, Any]:
    """A team with its administrator as first member; prints the team API token once and the
    key of the team's auto-updating delivery group (every member)."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise refuse("the team name must have 1 to 100 characters")
    token = random_key()
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        admin = await user_by_email(session, admin_email)
        team = Team(name=name, token_digest=digest(token), admin_id=admin.id, created_at=now)
        session.add(team)
        await session.flush()
        try:
            await teams.add_member(session, team.id, admin.id, True, now)
        except ApiError:
            raise refuse(f"{admin.email} is already a member of a team") from None
        group = await teams.auto_group(session, team, now)
    return {"team": team.id, "name": name, "token": token, "administrator": admin.email,
            "group": group.group_key}


async def add_member(rt: Runtime, team: str, email: str) -> dict[str, Any]:
    """The operator adds an account directly (the Teams API only invites)."""
    async with rt.sessions() as session, session.begin():
        t = await team_by_name(session, team)
        user = await user_by_email(session, email)
        try:
            await teams.add_member(session, t.id, user.id, False, rt.clock.now())
        except ApiError:
            raise refuse(f"{user.email} is already a member of a team") from None
    return {"team": t.id, "member": user.email}


async def assign_app(rt: Runtime, team: str, token: str) -> dict[str, Any]:
    """Make this the team's one application (25,000 messages a month); a previous one goes
    back to the default allowance."""
    async with rt.sessions() as session, session.begin():
        t = await team_by_name(session, team)
        app = await app_by_token(session, token)
        await session.execute(update(App).where(App.team_id == t.id, App.id != app.id)
                              .values(team_id=None))
        app.team_id = t.id
    return {"team": t.id, "token": app.token}


async def set_phone(rt: Runtime, email: str, number: str) -> dict[str, Any]:
    """The number a team member's unacknowledged emergencies are texted to ("" clears)."""
    number = number.strip().replace(" ", "")
    if number and not PHONE.match(number):
        raise refuse("the phone number must be in E.164 form, e.g. +15555550123")
    async with rt.sessions() as session, session.begin():
        user = await user_by_email(session, email)
        user.phone_number = number or None
    return {"email": user.email, "phone_number": number or None}


async def set_sms(rt: Runtime, team: str, seconds: int) -> dict[str, Any]:
    """Seconds an emergency may go unacknowledged before members get an SMS (0 = never)."""
    if seconds < 0:
        raise refuse("the delay must be 0 or more seconds")
    async with rt.sessions() as session, session.begin():
        t = await team_by_name(session, team)
        t.sms_after_seconds = seconds or None
    return {"team": t.id, "sms_after_seconds": seconds or None}
