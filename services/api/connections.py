"""The device WebSockets this api instance holds, and the one-byte frames sent to them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from overpush.metrics import Metrics

log = logging.getLogger(__name__)

KEEPALIVE = b"#"
NEW_MESSAGES = b"!"
RELOAD = b"R"
ERROR = b"E"
ELSEWHERE = b"A"
SEND_TIMEOUT = 5.0


class WebSocket(Protocol):
    """A device connection (routes/push.py's Peer): an id, frames out, and a close."""

    ident: str

    def send_now(self, data: bytes) -> bool:
        """Write the frame at once if the connection allows it without waiting."""

    async def send_bytes(self, data: bytes) -> None: ...

    async def close(self) -> None: ...


class Connections:
    def __init__(self, metrics: Metrics) -> None:
        self._by_device: dict[str, set[WebSocket]] = {}
        self._metrics = metrics

    def __len__(self) -> int:
        return sum(len(s) for s in self._by_device.values())

    def add(self, device_id: str, ws: WebSocket) -> None:
        self._by_device.setdefault(device_id, set()).add(ws)
        self._metrics.websockets.inc()

    def held(self) -> list[tuple[str, str]]:
        """Every connection here, as (device id, connection id)."""
        return [(d, ws.ident) for d, conns in self._by_device.items() for ws in conns]

    def holds(self, device_id: str) -> bool:
        return device_id in self._by_device

    def remove(self, device_id: str, ws: WebSocket) -> None:
        conns = self._by_device.get(device_id)
        if conns is not None and ws in conns:
            conns.discard(ws)
            self._metrics.websockets.dec()
            if not conns:
                del self._by_device[device_id]

    async def send(self, device_ids: Iterable[str], frame: bytes, *, close: bool = False,
                   spare: str | None = None) -> int:
        """Send `frame` to these devices' connections here (all but `spare`), then close
        them if asked; the number of connections reached."""
        targets = [ws for d in device_ids for ws in self._by_device.get(d, ())
                   if ws.ident != spare]
        await self._send_all(targets, frame)
        if close:
            await asyncio.gather(*(_close(ws) for ws in targets))
        return len(targets)

    async def broadcast(self, frame: bytes) -> int:
        targets = [ws for conns in self._by_device.values() for ws in conns]
        await self._send_all(targets, frame)
        return len(targets)

    async def _send_all(self, targets: list[WebSocket], frame: bytes) -> None:
        # Most connections take the frame at once (a transport write): only the rest, paused
        # or closing, get a task each. A '#' round over 19,000 sockets made 38,000 tasks.
        slow = [ws for ws in targets if not _send_now(ws, frame)]
        if len(slow) == 1:
            await _send(slow[0], frame)
        elif slow:
            await asyncio.gather(*(_send(ws, frame) for ws in slow))


async def _close(ws: WebSocket) -> None:
    try:
        await asyncio.wait_for(ws.close(), SEND_TIMEOUT)
    except Exception as exc:  # already gone
        log.debug("websocket close failed: %r", exc)


def _send_now(ws: WebSocket, frame: bytes) -> bool:
    try:
        return ws.send_now(frame)
    except Exception as exc:  # the transport failed: the slow path reports and cleans up
        log.debug("websocket write failed: %r", exc)
        return False


async def _send(ws: WebSocket, frame: bytes) -> None:
    # A dead peer must not stall the others; its own handler notices and cleans up.
    try:
        await asyncio.wait_for(ws.send_bytes(frame), SEND_TIMEOUT)
    except Exception as exc:  # closed, reset or slow: the connection is gone either way
        log.debug("websocket send failed: %r", exc)
