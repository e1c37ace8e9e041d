"""Open Client log-out: revoke a session secret, and delete a device with its queue."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush.ids import digest
from overpush.models import ClientSession, Delivery, Device
from sqlalchemy import delete, select

from services.api.auth import device_of, user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok
from services.api.routes.client import _lock_messages, purge_messages

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
        device = await device_of(session, user, device_id)
        # Its queue goes with it, and so does every message no other device still waits for.
        waiting = list((await session.scalars(
            select(Delivery.message_id).where(Delivery.device_id == device.id)
        )).all())
        await _lock_messages(session, waiting)
        await session.execute(delete(Delivery).where(Delivery.device_id == device.id))
        await session.execute(delete(Device).where(Device.id == device.id))
        await purge_messages(session, waiting)
    return ok(rid)
