"""A lean load generator: raw HTTP/1.1 keep-alive connections and raw WebSocket clients on
asyncio streams, cheap enough per request that the server, not the generator, is measured."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode


def post_form(host: str, port: int, path: str, form: dict[str, str]) -> bytes:
    """One complete POST request, built once and written as-is on every send."""
    body = urlencode(form).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    body = await reader.readexactly(length) if length else b""
    return status, body


@dataclass
class Load:
    """What one run measured: latencies (seconds) of the requests inside the window."""

    window: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    answered: int = 0  # every response, warm-up included
    failure: bytes = b""  # the first body of a non-200 answer, to say what went wrong

    @property
    def ok_per_second(self) -> float:
        return self.statuses[200] / self.window if self.window else 0.0


async def hammer(host: str, port: int, request: bytes, *, concurrency: int, duration: float,
                 warmup: float = 0.5) -> Load:
    """`concurrency` connections send `request` back to back for warmup + duration seconds;
    only responses to requests sent inside the measured window count."""
    conns = [await asyncio.open_connection(host, port) for _ in range(concurrency)]
    start = time.perf_counter() + warmup
    end = start + duration
    load = Load(duration)

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (t0 := time.perf_counter()) < end:
            writer.write(request)
            status, body = await read_response(reader)
            load.answered += 1
            if status != 200 and not load.failure:
                load.failure = b"%d " % status + body[:200]
            if t0 >= start:
                load.latencies.append(time.perf_counter() - t0)
                load.statuses[status] += 1

    try:
        await asyncio.gather(*(worker(r, w) for r, w in conns))
    finally:
        for _, w in conns:
            w.close()
    return load


class HttpConn:
    """One keep-alive connection for sequential requests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConn:
        return cls(*await asyncio.open_connection(host, port))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        return await read_response(self.reader)

    def close(self) -> None:
        self.writer.close()


def masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    if n < 126:
        header = bytes([0x81, 0x80 | n])
    else:
        header = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    return header + mask + masked


async def ws_login(host: str, port: int, device_id: str, secret: str, source: str | None = None,
                   extra_headers: str = "") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open /push (from the loopback address `source`, with `extra_headers` in the handshake),
    log in as the device and wait for the server's first b'!' frame. A server that accepts
    permessage-deflate is refused: this client reads plain frames."""
    local_addr = (source, 0) if source else None
    reader, writer = await asyncio.open_connection(host, port, local_addr=local_addr)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /push HTTP/1.1\r\nHost: {host}:{port}\r\n{extra_headers}"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if head[9:12] != b"101":
        raise RuntimeError(f"websocket upgrade refused: {head[:200]!r}")
    if b"permessage-deflate" in head.lower():
        raise RuntimeError("the server accepted permessage-deflate; this client reads plain frames")
    writer.write(masked_text_frame(f"login:{device_id}:{secret}\n"))
    while (frame := await reader.readexactly(3)) == b"\x82\x01#":
        pass  # a keep-alive round may come between the log-in and its '!'
    if frame != b"\x82\x01!":
        raise RuntimeError(f"expected the binary '!' frame after log-in, got {frame!r}")
    return reader, writer
