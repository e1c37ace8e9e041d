"""The Licensing API (spec §8.2): applications spend licence credits on users or addresses."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import licenses
from overpush.accounts import email_key
from overpush.apps import app_for_token
from overpush.errors import ApiError, E
from overpush.ids import is_key
from overpush.models import LicenseCredits, User
from overpush.platforms import platform_code
from sqlalchemy import select, update

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@router.post("/1/licenses/assign.json")
async def assign(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    key = (params.get("user") or "").strip()
    email = (params.get("email") or "").strip()
    raw_os = (params.get("os") or "").strip()
    os = platform_code(raw_os) if raw_os else None
    if raw_os and os is None:
        raise ApiError.of(E.LICENSE_OS_INVALID)
    if not key and not email:
        raise ApiError.of(E.LICENSE_RECIPIENT_MISSING)
    if not key and not EMAIL.match(email):
        raise ApiError.of(E.LICENSE_EMAIL_INVALID)
    now = rt.clock.now()
    # One transaction: a refused recipient rolls the spent credit back.
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        credits = await session.scalar(
            update(LicenseCredits)
            .where(LicenseCredits.app_id == app.id, LicenseCredits.credits >= 1)
            .values(credits=LicenseCredits.credits - 1).returning(LicenseCredits.credits)
        )
        if credits is None:
            raise ApiError.of(E.LICENSE_NO_CREDITS)
        if key:
            user_id = await session.scalar(select(User.id).where(User.user_key == key)) \
                if is_key(key) else None
            if user_id is None:
                raise ApiError.of(E.USER_INVALID)
        else:
            # Only a confirmed account takes a licence by address; otherwise it waits for
            # whoever confirms the address (accounts.confirm claims it).
            user_id = await session.scalar(select(User.id).where(
                User.email_key == email_key(email), User.email_confirmed_at.is_not(None)))
        if user_id is None:  # volume licensing: applied when this address is confirmed
            await licenses.hold_for_email(session, email, os, now, app.id)
        else:
            await licenses.grant_or_hold(session, user_id, os, now, app.id)
    return ok(rid, credits=credits)


@router.get("/1/licenses.json")
async def credits_left(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        credits = await session.scalar(
            select(LicenseCredits.credits).where(LicenseCredits.app_id == app.id))
    return ok(rid, credits=credits or 0)
