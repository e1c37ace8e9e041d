"""The Teams API (spec §8.3): a team's token lists, adds and removes its members."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import accounts, teams
from overpush.errors import ApiError, E
from overpush.mailer import make_mailer
from overpush.models import User
from overpush.runtime import Runtime
from sqlalchemy import func, select

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE = ("1", "true", "yes")


@router.get("/1/teams.json")
async def show(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        team = await teams.team_for_token(session, params.get("token"))
        users = await teams.members_view(session, team)
    return ok(rid, name=team.name, users=users)


@router.post("/1/teams/add_user.json")
async def add_user(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    email = (params.get("email") or "").strip()
    async with rt.sessions() as session:
        team = await teams.team_for_token(session, params.get("token"))
    if not EMAIL.match(email):
        raise ApiError.of(E.TEAM_EMAIL_INVALID)
    user_id = await _user_id(rt, email)
    if user_id is None:  # a new account; its password is mailed when the caller chose none
        password = params.get("password") or ""
        chosen = len(password) >= 8
        if not chosen:
            password = secrets.token_urlsafe(12)
        try:
            await accounts.create_user(rt, email, password)
        except accounts.AccountError:
            pass  # created concurrently: use that account
        user_id = await _user_id(rt, email)
        assert user_id is not None
        if not chosen:
            await make_mailer(rt.settings).send(
                email, f"You were added to the team {team.name}",
                f"An Overpush account was made for you as a member of {team.name}.\n\n"
                f"E-mail: {email}\nPassword: {password}\n\nLog in at {rt.settings.base_url}/login "
                "and change the password.\n")
    async with rt.sessions() as session, session.begin():
        await teams.add_member(session, team.id, user_id,
                               (params.get("admin") or "").strip().lower() in TRUE,
                               rt.clock.now())
    return ok(rid)


@router.post("/1/teams/remove_user.json")
async def remove_user(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    email = (params.get("email") or "").strip()
    async with rt.sessions() as session, session.begin():
        team = await teams.team_for_token(session, params.get("token"))
        user_id = await session.scalar(
            select(User.id).where(func.lower(User.email) == email.lower())) if email else None
        if user_id is None:
            raise ApiError.of(E.TEAM_MEMBER_MISSING)
        await teams.remove_member(session, team.id, user_id)
    return ok(rid)


async def _user_id(rt: Runtime, email: str) -> int | None:
    async with rt.sessions() as session:
        uid: int | None = await session.scalar(
            select(User.id).where(func.lower(User.email) == email.lower()))
    return uid
