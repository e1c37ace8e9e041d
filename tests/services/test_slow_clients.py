"""Slow clients are cut off (issue 14, item 2): a connection that sends nothing, a request head
that never completes, and a body that trickles are all closed by the server, while a normal
request on another connection is served. The limits are per connection and the same code on
both backends, so one (SQLite) is enough; short limits, and no timing assertion beyond "the
server closed it" (a 30 s ceiling only keeps a broken build from hanging)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from overpush.settings import Settings

from services.runner import Runner
from testkit.backends import sqlite_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sqlite_settings(tmp_path, http_header_timeout=1.0, http_body_window=1.0,
                           http_body_min_rate=100, max_connections_per_client=4)


async def _closed_by_server(reader: asyncio.StreamReader, trickle: bytes = b"",
                            writer: asyncio.StreamWriter | None = None) -> bool:
    """Whether the server closes the connection (keeps sending `trickle` each 0.3 s)."""
    async def wait() -> bool:
        while True:
            if trickle and writer is not None:
                try:
                    writer.write(trickle)
                    await writer.drain()
                except ConnectionError:
                    return True
            try:
                data = await asyncio.wait_for(reader.read(4096), 0.3)
            except TimeoutError:
                continue
            except ConnectionError:
                return True
            if data == b"":
                return True
    return await asyncio.wait_for(wait(), 30)


async def test_idle_slow_head_and_slow_body_are_closed(
    server: Runner, settings: Settings, base_url: str, http: httpx.AsyncClient,
) -> None:
    host, port = settings.http_host, settings.http_port
    idle = await asyncio.open_connection(host, port)
    head = await asyncio.open_connection(host, port)
    head[1].write(b"GET /healthz HTTP/1.1\r\n")
    body = await asyncio.open_connection(host, port)
    body[1].write(b"POST /1/messages.json HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
    try:
        assert (await http.get(f"{base_url}/healthz")).status_code == 200
        assert await _closed_by_server(idle[0])
        assert await _closed_by_server(head[0], b"X-A: b\r\n", head[1])  # a header line at a time
        assert await _closed_by_server(body[0], b"a", body[1])  # a byte at a time
        # Connections are released: a new one from the same client is served.
        assert (await http.get(f"{base_url}/healthz")).status_code == 200
    finally:
        for _, writer in (idle, head, body):
            writer.close()


async def test_a_slow_head_or_body_after_a_first_request_is_closed_too(
    server: Runner, settings: Settings,
) -> None:
    """The timers are armed when a read ends with a head or a body unfinished, for every
    request of a keep-alive connection, not only the first."""
    host, port = settings.http_host, settings.http_port
    for rest, trickle in ((b"GET /healthz HTTP/1.1\r\n", b"X-A: b\r\n"),
                          (b"POST /1/messages.json HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 100000\r\n\r\n", b"a")):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            writer.write(rest)
            assert await _closed_by_server(reader, trickle, writer)
        finally:
            writer.close()


async def test_the_per_client_cap_refuses_new_connections_only(
    server: Runner, settings: Settings,
) -> None:
    host, port = settings.http_host, settings.http_port
    held = [await asyncio.open_connection(host, port) for _ in range(4)]
    try:
        reader, writer = await asyncio.open_connection(host, port)
        answer = await asyncio.wait_for(reader.read(4096), 30)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        writer.close()
        # An accepted connection keeps working.
        reader, writer = held[0]
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b" 200 " in await asyncio.wait_for(reader.read(4096), 30)
    finally:
        for _, w in held:
            w.close()
