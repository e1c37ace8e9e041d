"""A fake APNs: raw HTTP/2 over TLS on loopback, answering as Apple does, scripted per token.

Apple answers 200 as HEADERS with END_STREAM, and errors as HEADERS then one JSON DATA frame
(aioapns parses every DATA frame as JSON, so an ASGI server's empty frame would break it).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import DataReceived, RequestReceived, StreamEnded

HOST = "127.0.0.1"


@dataclass
class ApnsRequest:
    headers: dict[str, str]
    payload: dict[str, Any]

    @property
    def token(self) -> str:
        return self.headers[":path"].rsplit("/", 1)[-1]


@dataclass
class FakeApns:
    """`script[token]` is a queue of (status, reason) answers; empty means 200."""

    ca: trustme.CA = field(default_factory=trustme.CA)
    received: list[ApnsRequest] = field(default_factory=list)
    script: dict[str, deque[tuple[int, str]]] = field(
        default_factory=lambda: defaultdict(deque))
    port: int = 0
    _server: asyncio.Server | None = None

    def answer(self, token: str, *answers: tuple[int, str]) -> None:
        self.script[token].extend(answers)

    async def start(self) -> None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(HOST).configure_cert(ctx)
        ctx.set_alpn_protocols(["h2"])
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Connection(self), HOST, 0, ssl=ctx)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def ca_file(self, directory: Path) -> str:
        path = directory / "apns-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)

    def for_token(self, token: str) -> list[ApnsRequest]:
        return [r for r in self.received if r.token == token]


def p8_key() -> str:
    """A throw-away ES256 key in the PEM form of Apple's .p8 files."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


class _Connection(asyncio.Protocol):
    def __init__(self, fake: FakeApns) -> None:
        self.fake = fake
        self.conn = H2Connection(H2Configuration(client_side=False))
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.conn.initiate_connection()
        transport.write(self.conn.data_to_send())

    def data_received(self, data: bytes) -> None:
        for event in self.conn.receive_data(data):
            if isinstance(event, RequestReceived):
                headers = {_s(k): _s(v) for k, v in event.headers or []}
                self.streams[event.stream_id] = (headers, bytearray())
            elif isinstance(event, DataReceived):
                self.streams[event.stream_id][1].extend(event.data or b"")
                self.conn.acknowledge_received_data(
                    event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                self._respond(event.stream_id)
        assert self.transport is not None
        self.transport.write(self.conn.data_to_send())

    def _respond(self, stream_id: int) -> None:
        headers, body = self.streams.pop(stream_id)
        request = ApnsRequest(headers, json.loads(body))
        self.fake.received.append(request)
        queue = self.fake.script.get(request.token)
        status, reason = queue.popleft() if queue else (200, "")
        out = [(":status", str(status)), ("apns-id", headers.get("apns-id", ""))]
        if status == 200:
            self.conn.send_headers(stream_id, out, end_stream=True)
            return
        error: dict[str, Any] = {"reason": reason}
        if status == 410:
            error["timestamp"] = 1_700_000_000_000
        self.conn.send_headers(stream_id, out)
        self.conn.send_data(stream_id, json.dumps(error).encode(), end_stream=True)


def _s(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
