"""POST /1/subscriptions/migrate.json (spec §8.1): a user key becomes a subscription key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import subscriptions, users
from overpush.apps import app_for_token
from overpush.devices import DEVICE_NAME
from overpush.errors import ApiError, E
from overpush.sounds import BUILTIN_SOUNDS

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post("/1/subscriptions/migrate.json")
async def migrate(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    code = (params.get("subscription") or "").strip()
    key = (params.get("user") or "").strip()
    device = (params.get("device_name") or "").strip() or None
    sound = (params.get("sound") or "").strip() or None
    if device is not None and not DEVICE_NAME.match(device):
        raise ApiError.of(E.DEVICE_NAME_INVALID)
    if sound is not None and sound not in BUILTIN_SOUNDS:
        raise ApiError.of(E.SOUND_INVALID)
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        if not code or app.subscription_code != code:
            raise ApiError.of(E.SUBSCRIPTION_INVALID)
        user_id = await users.id_for_key(session, key)
        if user_id is None:
            raise ApiError.of(E.USER_INVALID)
        subscribed = await subscriptions.subscribe(session, app.id, user_id, rt.clock.now(),
                                                   sound, device)
    return ok(rid, subscribed_user_key=subscribed)
