"""A TCP proxy a test can cut and restore, to make a server unreachable without stopping it.

It runs its own event loop in a thread, so it keeps forwarding while the test blocks (waiting
on a subprocess, say). `cut()` drops every open connection and refuses new ones (accepted and
reset at once: the listening port stays ours); `restore()` forwards again. `pause()` keeps the
connections but holds every byte back (a stalled broker: requests get no answer) until
`resume()` lets them through.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0  # connections forwarded so far, for tests to see reconnects
        self._cut = False
        self._flowing: asyncio.Event | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy",
                                        daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> TcpProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> int:
        self._thread.start()
        self._flowing = self._call(_set_event())
        self._server = self._call(asyncio.start_server(self._on_client, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def cut(self) -> None:
        """Reset every open connection and refuse new ones until `restore()`."""
        self._call(self._cut_all())

    def restore(self) -> None:
        self._cut = False

    def pause(self) -> None:
        assert self._flowing is not None
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def resume(self) -> None:
        assert self._flowing is not None
        self._loop.call_soon_threadsafe(self._flowing.set)

    def close(self) -> None:
        async def shutdown() -> None:
            await self._cut_all()
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        self._call(shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _cut_all(self) -> None:
        self._cut = True
        if self._flowing is not None:
            self._flowing.set()  # paused pipes wake up to find their connection gone
        for writer in list(self._links):
            _reset(writer)
        self._links.clear()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        self.accepted += 1
        self._links.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                assert self._flowing is not None
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._links.discard(writer)
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()


async def _set_event() -> asyncio.Event:
    event = asyncio.Event()  # made on the proxy's loop, which it belongs to
    event.set()
    return event


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a crashed peer or a dropped link looks."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
