"""The Licensing API (spec §8.2): applications spend licence credits on users or addresses."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import licenses
from overpush.apps import app_for_token
from overpush.errors import ApiError, E
from overpush.platforms import platform_code

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
    # One transaction: a refused recipient rolls the spent credit back.
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        credits = await licenses.assign(session, app.id, key, email, os, rt.clock.now())
    return ok(rid, credits=credits)


@router.get("/1/licenses.json")
async def credits_left(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        credits = await licenses.credits_of(session, app.id)
    return ok(rid, credits=credits)
