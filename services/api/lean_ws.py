"""uvicorn's sans-I/O WebSocket protocol with less state per idle connection.

An api process holds tens of thousands of idle device sockets, so what each one keeps alive is
the process's size. tracemalloc over 2,000 idle /push connections (bench/README.md, "Idle
WebSockets") put about 19 KB of Python objects on each, of which this module removes:

* the asyncio.Queue of incoming messages and the asyncio.Event of the write side: five deques
  between them, each allocating a 64-slot block up front (760 bytes apiece, ~3.8 KB in all),
  for a queue that holds at most one message (the protocol pauses reading while one waits)
  and an event that is almost always set. `Inbox` and `Writable` are the same contracts in a
  list and a future or two, made only while someone waits;
* the handshake's request and response (websockets' Headers objects) and the header list of
  the ASGI scope, 2-5 KB with a browser's headers, which nothing reads once the connection
  is accepted (the request's headers are emptied in place: websockets' parser keeps the
  request itself).

It also offers the application a synchronous write of a short binary frame (the scope's
extension SEND_NOW): a '#' to 19,000 sockets, or a '!' to a 10,000-member group, is then a
loop of transport writes instead of two asyncio tasks per socket (gather and wait_for).

It also logs each socket's "accepted", "connection open" and "connection closed" at DEBUG
rather than INFO: three records per device connection were megabytes of log a minute while
thousands of devices reconnected.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Opcode
from websockets.protocol import State

SEND_NOW = "overpush.send_now"  # scope["extensions"] key: Callable[[bytes], bool]


class Inbox:
    """asyncio.Queue's put_nowait / get / empty for one reader, without its three deques."""

    __slots__ = ("_items", "_loop", "_waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            self._waiter = waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class Writable:
    """asyncio.Event's set / clear / wait, with futures only while the transport is paused."""

    __slots__ = ("_loop", "_open", "_waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> None:
        if self._open:
            return
        waiter = self._loop.create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter


class _PerConnection(logging.Logger):
    """uvicorn's error logger, with its INFO records (one socket opened, accepted, closed)
    demoted to DEBUG; warnings and errors unchanged."""

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


QUIET = _PerConnection("uvicorn.error.websocket", logging.INFO)  # INFO: no TRACE calls either
QUIET.parent = logging.getLogger("uvicorn.error")


class LeanWebSocket(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger = self.conn.logger = QUIET
        self.queue = Inbox(self.loop)  # type: ignore[assignment]
        self.writable = Writable(self.loop)  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if self.handshake_initiated and not self.close_sent:  # the application will run
            extensions: dict[str, Any] = self.scope["extensions"]
            extensions[SEND_NOW] = self.send_now

    def send_now(self, data: bytes) -> bool:
        """Write `data` as one binary frame now, when nothing stands in the way (accepted,
        open, no extension such as compression, the transport not paused, under 126 bytes);
        False when the caller must take the ASGI path (which waits, or reports the close)."""
        if (len(data) > 125 or not self.handshake_complete or self.close_sent
                or self.disconnected or self.initial_response is not None
                or not self.writable.is_set() or self.conn.state is not State.OPEN
                or self.conn.extensions or self.transport.is_closing()):
            return False
        # A server's frames are unmasked: FIN + opcode, length, payload.
        self.transport.write(bytes((0x80 | Opcode.BINARY.value, len(data))) + data)
        return True

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake is answered: its headers are garbage from here on. Dropping our
            # references is not enough for the request: websockets' server parser keeps it
            # in its generator's frame for the connection's lifetime (ServerProtocol.parse:
            # `request = yield from Request.parse(...)`, then `yield from super().parse()`),
            # so its headers are emptied in place (1.7 KB a connection for a minimal
            # handshake, 4.6 KB for a browser's).
            self.request.headers.clear()
            self.conn.origin = None  # the Origin header's value, kept by ServerProtocol.accept
            self.request = self.response = None  # type: ignore[assignment]
            self.scope["headers"] = []
