"""Delivery status of a request (issue 17 §6): per recipient and per device, for the
sending application only. The rules live in overpush.delivery_status."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import delivery_status
from overpush.apps import app_for_token
from overpush.quota import limit_headers

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.get(
    "/1/requests/{request}.json", summary="Delivery status of a request",
    description="For each recipient user and each of their devices: `status` (`queued`, "
                "`sent`: APNs/FCM/Web Push accepted it, `delivered`: the device downloaded "
                "it, `failed` with its `reason`) and the Unix times `queued_at`, `sent_at`, "
                "`delivered_at`, `failed_at` (0 when not yet). Only the application that sent "
                "the request may ask (`token`); statuses appear once the request is "
                "dispatched and are kept as long as undelivered messages are.")
async def request_status(request: str, params: ParamsDep, rt: RuntimeDep,
                         rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        recipients = await delivery_status.of_request(session, app.id, request.strip()[:36])
        headers = await limit_headers(session, app, rt.settings.app_monthly_limit,
                                      rt.clock.now())
    return ok(rid, headers=headers, recipients=recipients)
