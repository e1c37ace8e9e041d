"""WebSocket /push (spec §9.1): a text login frame in, one-byte binary frames out."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from overpush.errors import ApiError
from overpush.models import Device
from overpush.runtime import Runtime
from sqlalchemy import select

from services.api.auth import plausible_device_id, user_for_secret
from services.api.connections import ERROR, NEW_MESSAGES, Connections

router = APIRouter()
log = logging.getLogger(__name__)
LOGIN_TIMEOUT = 30.0


@router.websocket("/push")
async def push(ws: WebSocket) -> None:
    rt: Runtime = ws.app.state.runtime
    conns: Connections = ws.app.state.connections
    await ws.accept()
    try:
        first = await asyncio.wait_for(ws.receive(), LOGIN_TIMEOUT)
    except (TimeoutError, WebSocketDisconnect, RuntimeError):
        await _close(ws)
        return
    if first["type"] == "websocket.disconnect":
        return
    # The login is a text frame; anything else (a binary frame) is a failed login: 'E'.
    frame = first.get("text")
    device_id = await _login(rt, frame) if isinstance(frame, str) else None
    if device_id is None:
        await ws.send_bytes(ERROR)  # E: do not reconnect; log in again
        await _close(ws)
        return
    conns.add(device_id, ws)
    try:
        # Messages may have arrived while the device was away: tell it to sync now.
        await ws.send_bytes(NEW_MESSAGES)
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        conns.remove(device_id, ws)


async def _login(rt: Runtime, frame: str) -> str | None:
    parts = frame.strip().split(":")
    if len(parts) != 3 or parts[0] != "login":
        return None
    _, device_id, secret = parts
    if not plausible_device_id(device_id):
        return None
    try:
        async with rt.sessions() as session, session.begin():
            user = await user_for_secret(session, secret)
            device = await session.scalar(select(Device).where(
                Device.public_id == device_id, Device.user_id == user.id, Device.enabled
            ))
            if device is None:
                return None
            device.last_seen_at = rt.clock.now()
            return device.public_id
    except ApiError:
        return None


async def _close(ws: WebSocket) -> None:
    try:
        await ws.close()
    except RuntimeError:
        pass
