"""WebSocket /push (spec §9.1): a text login frame in, one-byte binary frames out.

Idle device connections are most of what an api process holds, so /push is a plain ASGI
endpoint: the server hands it the connection ahead of the FastAPI stack (`PushEndpoint.route`),
which saves the ~12 KB of middleware, router and exception-handler frames that otherwise stay
alive for as long as each connection does (measured by bench/idle_ws.py).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import APIRouter
from overpush.presence import Record
from overpush.runtime import Runtime
from starlette.routing import WebSocketRoute

from services.api.connections import ELSEWHERE, ERROR, NEW_MESSAGES, Connections
from services.api.lean_ws import SEND_NOW
from services.api.push_login import PushLogins, Who

log = logging.getLogger(__name__)
LOGIN_TIMEOUT = 30.0
PATH = "/push"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Peer:
    """One device connection, as Connections sees it: an id, frames out, and a close."""

    __slots__ = ("_now", "_send", "ident")

    def __init__(self, send: Send, scope: Scope) -> None:
        self._send = send
        # The server's synchronous write, when it offers one (services/api/lean_ws.py).
        self._now: Callable[[bytes], bool] | None = scope.get("extensions", {}).get(SEND_NOW)
        self.ident = secrets.token_hex(8)

    def send_now(self, data: bytes) -> bool:
        return self._now is not None and self._now(data)

    async def send_bytes(self, data: bytes) -> None:
        await self._send({"type": "websocket.send", "bytes": data})

    async def close(self) -> None:
        await self._send({"type": "websocket.close", "code": 1000})


class PushEndpoint:
    """The ASGI application behind /push."""

    def __init__(self, rt: Runtime, conns: Connections, record: Record | None = None) -> None:
        self.rt = rt
        self.conns = conns
        self.logins = PushLogins(rt)
        # Where this instance records the devices it holds (None: the in-process bus, where
        # this is the only instance).
        self.record = record
        # The devices of each user with a live connection here, for the per-user cap.
        self._live: dict[int, set[str]] = {}

    def route(self, app: ASGIApp) -> ASGIApp:
        """`app`, except that /push WebSockets come straight here."""

        async def routed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket" and scope["path"] == PATH:
                await self(scope, receive, send)
            else:
                await app(scope, receive, send)

        return routed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        who = await self._log_in(receive, send)
        if who is None:
            return
        device_id, user_id = who
        live = self._live.setdefault(user_id, set())
        if device_id not in live and len(live) >= self.rt.settings.max_connections_per_user:
            # Not `E`: the secret is good, and E would make the client ask for a new log-in.
            # 1013 (try again later): the client reconnects with its back-off.
            await _close(send, 1013)
            if not live:
                del self._live[user_id]
            return
        live.add(device_id)
        peer = Peer(send, scope)
        self.conns.add(device_id, peer)
        try:
            if not await self._recorded(device_id, peer):
                # Nudges would go where the device was before: it must come back later.
                await _close(send, 1013)
                return
            # One connection per device (spec §9.1): this log-in ends the device's older
            # connections here with `A` (opened elsewhere); the record told other instances.
            await self.conns.send([device_id], ELSEWHERE, close=True, spare=peer.ident)
            # Messages may have arrived while the device was away: tell it to sync now (after
            # the record, so a nudge that missed the new connection is covered by this sync).
            await peer.send_bytes(NEW_MESSAGES)
            while (await receive())["type"] != "websocket.disconnect":
                pass  # devices send nothing after log-in; ignore whatever they do send
        except (OSError, RuntimeError):
            pass  # the peer went away while we wrote to it
        finally:
            self.conns.remove(device_id, peer)
            if self.record is not None:
                self.record.closed(device_id, peer.ident)
            if not self.conns.holds(device_id):
                live.discard(device_id)
                if not live and self._live.get(user_id) is live:
                    del self._live[user_id]

    async def _log_in(self, receive: Receive, send: Send) -> Who:
        """The device and user of the connection's log-in frame; None (the connection answered
        and closed) if there is none in time or it is not good. A method of its own so that
        the frame, which holds the session secret, is not kept in the frame of `__call__`
        for as long as the connection lasts (221 bytes a connection, and a secret)."""
        try:
            async with asyncio.timeout(LOGIN_TIMEOUT):
                message = await receive()
        except TimeoutError:
            await _close(send)
            return None
        frame = message.get("text") if message["type"] == "websocket.receive" else None
        who = await self.logins.check(frame) if frame is not None else None
        if who is None and message["type"] != "websocket.disconnect":
            await send({"type": "websocket.send", "bytes": ERROR})  # E: log in again
            await _close(send)
        return who

    async def _recorded(self, device_id: str, peer: Peer) -> bool:
        """Record that this instance holds the device now (overpush.presence), which also
        tells `A` to the instance that held it before; False if that could not be written."""
        if self.record is None:
            return True
        try:
            await self.record.connected(device_id, peer.ident)
        except Exception:
            log.warning("could not record the connection of device %s", device_id,
                        exc_info=True)
            return False
        return True


class _FromApp:
    """/push inside the FastAPI application (for an app served without `route`): the
    application's own PushEndpoint, made by create_app with its connections."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint: PushEndpoint = scope["app"].state.push
        await endpoint(scope, receive, send)


router = APIRouter()
router.routes.append(WebSocketRoute(PATH, _FromApp()))


async def _close(send: Send, code: int = 1000) -> None:
    try:
        await send({"type": "websocket.close", "code": code})
    except OSError:
        pass
