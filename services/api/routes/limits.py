"""GET /1/apps/limits.json (spec §5): the same numbers as the X-Limit-App-* headers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush.apps import app_for_token
from overpush.quota import allowance, limit_of

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.get("/1/apps/limits.json")
async def limits(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        monthly = limit_of(app, rt.settings.app_monthly_limit)
        a = await allowance(session, app.id, monthly, rt.clock.now())
    return ok(rid, limit=a.limit, remaining=max(a.remaining, 0), reset=a.reset,
              headers=a.headers())
