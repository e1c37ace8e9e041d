"""POST /1/messages.json: the Message API (spec §1)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post("/1/messages.json")
async def send_message(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    draft = parse_message(params)
    accepted = await accept(rt, draft, rid)
    extra = {"receipt": accepted.receipt} if accepted.receipt else {}
    return ok(rid, headers=accepted.allowance.headers(), **extra)
