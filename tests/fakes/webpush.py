"""A browser's push subscription, made as a browser makes one, and a fake push service: a real
HTTPS server on loopback with its own CA (trusted through SSL_CERT_FILE), which checks each
request's VAPID token against the server's public key (RFC 8292) and decrypts its body with the
subscription's private key (RFC 8291, aes128gcm), as the browser would."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import trustme
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from fastapi import FastAPI, Request
from fastapi.responses import Response

from testkit.backends import free_port

MAX_BODY = 4096  # what real push services accept (RFC 8030 servers must take at least this)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    """What `pushManager.subscribe()` makes: a P-256 key pair and a 16-byte auth secret."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def make(cls) -> BrowserSubscription:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def keys(self) -> dict[str, str]:
        """`PushSubscription.toJSON().keys`: base64url without padding."""
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}

    def decrypt(self, body: bytes) -> bytes:
        """What the browser does with a push message's body (RFC 8291)."""
        plain: bytes = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                        version="aes128gcm")
        return plain


@dataclass
class Received:
    sub_id: str
    headers: dict[str, str]
    claims: dict[str, Any]
    payload: dict[str, Any]
    size: int  # bytes of the encrypted body


def verify_vapid(authorization: str, server_key: str, origin: str) -> dict[str, Any]:
    """The claims of a `vapid t=<jwt>, k=<key>` header, after checking the key is the
    server's, the ES256 signature, `aud`, `exp` (within 24 h) and `sub`. Raises ValueError."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"not a vapid authorization: {authorization[:30]}")
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    if parts.get("k") != server_key:
        raise ValueError("k is not the server's public key")
    head, body, sig = parts["t"].split(".")
    if json.loads(unb64url(head)) != {"typ": "JWT", "alg": "ES256"}:
        raise ValueError("not an ES256 JWT")
    raw = unb64url(sig)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(server_key))
    try:
        public.verify(encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
                      f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("bad signature") from None
    claims: dict[str, Any] = json.loads(unb64url(body))
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')} is not {origin}")
    if not time.time() < claims["exp"] <= time.time() + 24 * 3600:
        raise ValueError("exp is not within 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub must be a mailto: or https: contact")
    return claims


@dataclass
class FakePushService:
    """`subscribe()` gives a browser subscription whose endpoint is here. `script[sub_id]` is a
    queue of (status, retry_after) answers; empty: 201. Every request that passes the checks
    is in `received`; one that does not is answered 400/401 and kept in `refused`."""

    directory: Path
    server_key: str = ""  # the Overpush server's VAPID public key (base64url)
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    script: dict[str, deque[tuple[int, str | None]]] = field(
        default_factory=lambda: defaultdict(deque))
    subscriptions: dict[str, BrowserSubscription] = field(default_factory=dict)
    ca: trustme.CA = field(default_factory=trustme.CA)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> str:
        path = self.directory / "push-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)

    def subscribe(self, sub_id: str) -> tuple[str, BrowserSubscription]:
        """(endpoint, subscription) of a new browser subscribed here."""
        self.subscriptions[sub_id] = BrowserSubscription.make()
        return f"{self.origin}/wpush/{sub_id}", self.subscriptions[sub_id]

    def answer(self, sub_id: str, *answers: tuple[int, str | None]) -> None:
        self.script[sub_id].extend(answers)

    def for_sub(self, sub_id: str) -> list[Received]:
        return [r for r in self.received if r.sub_id == sub_id]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/wpush/{sub_id}")
        async def push(sub_id: str, request: Request) -> Response:
            body = await request.body()
            sub = self.subscriptions.get(sub_id)
            if sub is None:
                return Response(status_code=404)
            try:
                claims = verify_vapid(request.headers.get("authorization", ""),
                                      self.server_key, self.origin)
            except (ValueError, KeyError) as exc:
                self.refused.append(f"{sub_id}: {exc}")
                return Response(str(exc), status_code=401)
            if request.headers.get("content-encoding") != "aes128gcm" or \
                    "ttl" not in request.headers:
                self.refused.append(f"{sub_id}: no aes128gcm body or no TTL")
                return Response(status_code=400)
            if len(body) > MAX_BODY:
                self.refused.append(f"{sub_id}: {len(body)} bytes")
                return Response(status_code=413)
            payload = json.loads(sub.decrypt(body))
            self.received.append(Received(sub_id, dict(request.headers), claims, payload,
                                          len(body)))
            queue = self.script.get(sub_id)
            if queue:
                status, retry_after = queue.popleft()
                headers = {"retry-after": retry_after} if retry_after else {}
                return Response(status_code=status, headers=headers)
            return Response(status_code=201, headers={"location": f"/msg/{len(self.received)}"})

        return app

    async def start(self) -> None:
        cert = self.directory / "push-server.pem"
        self.ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem \
            .write_to_path(str(cert))
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_config=None,
                                lifespan="off", access_log=False, ssl_certfile=str(cert))
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
