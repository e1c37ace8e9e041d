"""POST /1/messages.json: the Message API (spec §1)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush.apps import find_app
from overpush.attachments import read_attachment
from overpush.errors import ApiError
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.quota import allowance, limit_of
from overpush.runtime import Runtime

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post("/1/messages.json")
async def send_message(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    try:
        draft = parse_message(params)
        image = await read_attachment(params.files.get("attachment"),
                                      params.get("attachment_base64"))
        if image is not None:
            draft = replace(draft, attachment=image)
        accepted = await accept(rt, draft, rid)
    except ApiError as err:
        if not err.headers:  # a refused send still tells a known app where it stands
            err.headers = await _limit_headers(rt, params.get("token"))
        raise
    extra: dict[str, object] = {"receipt": accepted.receipt} if accepted.receipt else {}
    if accepted.scheduled:
        extra["scheduled"] = accepted.scheduled
    if accepted.deduplicated:  # the open message's request; nothing was sent or counted
        extra["deduplicated"] = 1
        rid = accepted.request_id or rid
    return ok(rid, headers=accepted.allowance.headers(), **extra)


async def _limit_headers(rt: Runtime, token: str | None) -> dict[str, str]:
    async with rt.sessions() as session:
        app = await find_app(session, token)
        if app is None:
            return {}
        limit = limit_of(app, rt.settings.app_monthly_limit)
        return (await allowance(session, app.id, limit, rt.clock.now())).headers()
