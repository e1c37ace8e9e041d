"""Open Client settings (session secret): quiet hours, time zone and sounds of a user/device."""

from __future__ import annotations

import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import licenses
from overpush.errors import ApiError, E
from overpush.models import User
from overpush.sounds import BUILTIN_SOUNDS

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok
from services.api.routes.client import _device_json, _user_json
from services.mailgw import aliases

router = APIRouter()
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
CUSTOM_SOUND = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


@router.post("/1/users/settings.json")
async def user_settings(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        apply_user_settings(user, params)
        address = await aliases.default_address(session, rt, user.id)
        licensed = await licenses.licensed(session, user.id, rt.clock.now(),
                                           licenses.terms_of(rt.settings))
    return ok(rid, user=_user_json(user, address, licensed))


def apply_user_settings(user: User, params: Mapping[str, str | None]) -> None:
    """Only the parameters present change; empty quiet_start and quiet_end switch quiet
    hours off. Shared by the Open Client API and the dashboard."""
    if "quiet_start" in params or "quiet_end" in params:
        start = (params.get("quiet_start") or "").strip()
        end = (params.get("quiet_end") or "").strip()
        if (start or end) and not (HHMM.match(start) and HHMM.match(end)):
            raise ApiError.of(E.QUIET_HOURS_INVALID)
        user.quiet_start, user.quiet_end = start or None, end or None
    if "timezone" in params:
        user.timezone = _timezone((params.get("timezone") or "").strip())
    if "default_sound" in params:
        sound = (params.get("default_sound") or "").strip()
        if sound not in BUILTIN_SOUNDS and not CUSTOM_SOUND.match(sound):
            raise ApiError.of(E.DEFAULT_SOUND_INVALID)
        user.default_sound = sound


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError.of(E.TIMEZONE_INVALID) from None
    return name


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
    return ok(rid, device=_device_json(device, user))
