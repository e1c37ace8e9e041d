"""Open Client log-out: revoke a session secret, and delete a device with its queue."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import devices, revoke
from overpush.ids import digest
from overpush.models import ClientSession, Device
from sqlalchemy import delete, select

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


@router.post("/1/users/logout.json")
async def logout(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    """The secret stops working at once, and the device it registered is told `E` (its
    WebSocket closes); the device itself stays (a client that also wants it gone deletes it
    first, with this same secret)."""
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        ended = await session.scalar(delete(ClientSession).where(
            ClientSession.user_id == user.id,
            ClientSession.secret_digest == digest(params.get("secret") or ""),
        ).returning(ClientSession.device_id))
        tied = await session.scalar(select(Device.public_id).where(
            Device.id == ended, Device.user_id == user.id)) if ended is not None else None
        revoke.tell_devices(session, rt, [tied] if tied else [])
    return ok(rid)


@router.post("/1/devices/{device_id}/delete.json")
async def delete_device(device_id: str, params: ParamsDep, rt: RuntimeDep,
                        rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        user = await user_for_secret(session, params.get("secret"))
        device = await device_of(session, user, device_id)
        await devices.delete_device(session, device)
        revoke.tell_devices(session, rt, [device.public_id])  # its WebSocket gets `E`, closes
    return ok(rid)
