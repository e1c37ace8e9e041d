"""An accepted WebSocket keeps nothing of its handshake's headers: not in the scope, not on the
protocol, not in websockets' parser (which holds the request for the connection's lifetime),
not as ServerProtocol's origin. An idle socket's memory is what an api process is made of
(bench/README.md, "Idle WebSockets")."""

from __future__ import annotations

import asyncio
import gc
import logging
import types
from collections.abc import Iterator
from typing import Any

import uvicorn

from services.api.guard import Guard, GuardedWebSocket, Limits
from services.api.service import server_config
from testkit.backends import free_port

AGENT = "Mozilla/5.0 (X11; Linux x86_64) HandshakeProbe/1.0"
HEAD = ("GET /push HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {agent}\r\n"
        "Origin: http://{agent}.example\r\nAccept-Language: en-US,en;q=0.9\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def reachable(*roots: Any) -> Iterator[Any]:
    """Every object reachable from `roots`, short of shared things (modules, classes,
    functions, loggers, the protocol objects themselves) that lead to the whole process."""
    from services.api.lean_ws import LeanWebSocket

    stop = (type, types.ModuleType, types.FunctionType, types.MethodType, logging.Logger,
            LeanWebSocket, asyncio.AbstractEventLoop, uvicorn.Config)
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, stop):
            continue
        seen.add(id(obj))
        yield obj
        todo.extend(gc.get_referents(obj))


async def test_an_accepted_websocket_keeps_none_of_its_handshake_headers() -> None:
    agent = AGENT + "-" + str(free_port())  # a string no other object in the process holds
    accepted = asyncio.Event()
    had_agent: list[bool] = []  # not the string: the application's frame would hold it

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        had_agent.append(b"user-agent" in dict(scope["headers"]))  # while it mattered
        await send({"type": "websocket.accept"})
        accepted.set()
        await receive()

    port = free_port()
    guard = Guard(Limits(header_timeout=10, body_window=10, body_min_rate=1, per_client=10,
                         total=10))
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, guard))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # the bind error, for instance
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HEAD.format(agent=agent).encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101") and b"permessage-deflate" not in head
        await accepted.wait()
        assert had_agent == [True]
        (proto,) = [c for c in server.server_state.connections
                    if isinstance(c, GuardedWebSocket)]
        assert proto.request is None and proto.response is None
        assert proto.scope["headers"] == []
        # The parser's generator still holds the request: without the headers.
        held = [o for o in reachable(proto.conn, proto.scope, proto.__dict__)
                if (isinstance(o, str) and agent in o)
                or (isinstance(o, bytes) and agent.encode() in o)]
        assert held == []
        writer.close()
        await writer.wait_closed()
    finally:
        server.should_exit = True
        await serving
