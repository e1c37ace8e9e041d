"""Open Client settings (session secret): quiet hours, time zone and sounds of a user/device."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import aliases, licenses
from overpush.devices import device_json
from overpush.errors import ApiError, E
from overpush.user_settings import apply_user_settings, user_json

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post("/1/users/settings.json")
async def user_settings(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        apply_user_settings(user, params)
        address = await aliases.default_address(session, rt, user.id)
        licensed = await licenses.licensed(session, user.id, rt.clock.now(),
                                           licenses.terms_of(rt.settings))
    return ok(rid, user=user_json(user, address, licensed))


@router.post("/1/devices/{device_id}/settings.json")
async def device_settings(device_id: str, params: ParamsDep, rt: RuntimeDep,
                          rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, device_id)
        if "always_use_default_sound" in params:
            raw = (params.get("always_use_default_sound") or "").strip().lower()
            if raw not in ("0", "1", "true", "false"):
                raise ApiError.of(E.SETTING_INVALID)
            device.always_use_default_sound = raw in ("1", "true")
    return ok(rid, device=device_json(device, user))
