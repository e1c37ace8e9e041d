"""Scheduled messages (issue 17 §2): list an application's, and cancel one."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import scheduled
from overpush.apps import app_for_token
from overpush.errors import ApiError, E
from overpush.ids import is_key

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.get(
    "/1/scheduled.json",
    summary="List scheduled messages",
    description=(
        "The messages the application of `token` sent with `send_at` that are still waiting "
        "(`status` pending, soonest first), then its latest 100 finished ones of the last 7 "
        "days: `sent`, `cancelled`, or `refused` with the `refusal` (a quota exceeded when it "
        "was due, say)."
    ),
)
async def listing(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        rows = await scheduled.listing(session, app.id)
    return ok(rid, scheduled=[scheduled.view(r) for r in rows])


@router.post(
    "/1/scheduled/{scheduled_id}/cancel.json",
    summary="Cancel a scheduled message",
    description=(
        "Cancels a pending message of the application of `token`; one that already went out "
        "(or another application's) is not found."
    ),
)
async def cancel(scheduled_id: str, params: ParamsDep, rt: RuntimeDep,
                 rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        if not is_key(scheduled_id):
            raise ApiError.of(E.SCHEDULED_NOT_FOUND)
        await scheduled.cancel(session, app.id, scheduled_id, rt.clock.now())
    return ok(rid)
