"""A real HTTP server on loopback that records form POSTs: the fake callback receiver."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from testkit.backends import free_port


@dataclass
class Receiver:
    fail_first: int = 0  # answer `fail_status` to this many requests before answering 200
    fail_status: int = 500
    tls: ssl.SSLContext | None = None  # serve HTTPS as "localhost" with this context
    port: int = field(default_factory=free_port)
    received: list[dict[str, str]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    raw: list[tuple[dict[str, str], bytes]] = field(default_factory=list)  # headers, body
    got: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        if self.tls is not None:
            return f"https://localhost:{self.port}/hooks/ack?source=overpush"
        return f"http://127.0.0.1:{self.port}/hooks/ack?source=overpush"

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port,
                                                  ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def wait(self, count: int = 1, timeout: float = 20.0) -> list[dict[str, str]]:
        async def until() -> None:
            while len(self.received) < count:
                self.got.clear()
                await self.got.wait()

        await asyncio.wait_for(until(), timeout)
        return self.received

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        lines = head.split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        status = self.fail_status if len(self.answered) < self.fail_first else 200
        self.answered.append(status)
        if status == 200:
            self.raw.append((headers, body))
            form = dict(parse_qsl(body.decode()))
            form["_path"], form["_host"] = lines[0].split()[1], headers.get("host", "")
            form["_type"] = headers.get("content-type", "")
            form["_auth"] = headers.get("authorization", "")
            self.received.append(form)
            self.got.set()
        location = "location: http://127.0.0.1:1/elsewhere\r\n" if status in (301, 302) else ""
        writer.write(f"HTTP/1.1 {status} X\r\n{location}content-length: 0\r\n"
                     "connection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()
