"""Open Client log-out: revoke a session secret, and delete a device with its queue."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import devices
from overpush.ids import digest
from overpush.models import ClientSession
from sqlalchemy import delete

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post("/1/users/logout.json")
async def logout(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    """The secret stops working at once; the devices registered with it stay (a client that
    also wants its device gone deletes it first, with this same secret)."""
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        await session.execute(delete(ClientSession).where(
            ClientSession.user_id == user.id,
            ClientSession.secret_digest == digest(params.get("secret") or ""),
        ))
    return ok(rid)


@router.post("/1/devices/{device_id}/delete.json")
async def delete_device(device_id: str, params: ParamsDep, rt: RuntimeDep,
                        rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        await devices.delete_device(session, await device_of(session, user, device_id))
    return ok(rid)
