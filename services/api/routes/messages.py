"""POST /1/messages.json: the Message API (spec §1)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok
from services.api.routes.attachments import attachment_of

router = APIRouter()


@router.post("/1/messages.json")
async def send_message(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    draft = parse_message(params)
    image = await attachment_of(params)
    if image is not None:
        draft = replace(draft, attachment=image)
    accepted = await accept(rt, draft, rid)
    return ok(rid, headers=accepted.allowance.headers())
