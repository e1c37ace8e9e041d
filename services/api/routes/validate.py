"""POST /1/users/validate.json (spec §3): is this a user or group key, and which devices?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import groups, licenses, subscriptions, users
from overpush.apps import app_for_token
from overpush.errors import ApiError, E
from overpush.ids import is_key
from overpush.models import Device
from overpush.platforms import DESKTOP, PLATFORMS
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()
# With licensing not enforced every platform a user has a device on counts as licensed.


def licenses_of(os_codes: set[str]) -> list[str]:
    # A device of an os we do not know counts as a desktop.
    return sorted({(PLATFORMS.get(code) or PLATFORMS[DESKTOP]).name for code in os_codes})


async def _devices(session: AsyncSession, user_ids: list[int],
                   only: dict[int, str | None] | None = None) -> list[tuple[str, str]]:
    """(name, os) of the active devices of these users; `only` limits a user to one name."""
    rows = (await session.execute(
        select(Device.user_id, Device.name, Device.os)
        .where(Device.user_id.in_(user_ids), Device.enabled).order_by(Device.id)
    )).all()
    return [(name, os) for uid, name, os in rows
            if not (only and only.get(uid)) or only.get(uid) == name]


@router.post("/1/users/validate.json")
async def validate(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    key = (params.get("user") or "").strip()
    device = (params.get("device") or "").strip() or None
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        user_id = await users.id_for_key(session, key)
        if user_id is None and is_key(key):  # a subscription key, for its application only
            sub = (await subscriptions.resolve(session, [key], app.id)).get(key)
            user_id = sub.user_id if sub else None
        group_id = None
        if user_id is None:
            group_id = await groups.id_for_key(session, key)
        if user_id is None and group_id is None:
            raise ApiError.of(E.VALIDATE_USER_INVALID)
        licensed: set[str] | None = None
        if user_id is not None:
            found = await _devices(session, [user_id])
            terms = licenses.terms_of(rt.settings)
            if terms.enforced:
                licensed = await licenses.licensed(session, user_id, rt.clock.now(), terms)
        else:
            assert group_id is not None
            # A member listed with a device reaches only that device.
            only = await groups.active_members(session, group_id)
            found = await _devices(session, list(only), only)
    is_group = int(group_id is not None)
    names = list(dict.fromkeys(name for name, _ in found))
    names_of = licenses_of(licensed if licensed is not None else {os for _, os in found})
    if device is not None and device not in names:
        return JSONResponse({
            "device": E.VALIDATE_DEVICE_INVALID.reason, "group": is_group,
            "licenses": names_of, "errors": [E.VALIDATE_DEVICE_INVALID.text],
            "status": 0, "request": rid,
        }, status_code=400)
    if not names:
        raise ApiError.of(E.USER_NO_DEVICES)
    return ok(rid, group=is_group, devices=names, licenses=names_of)
