"""A fake FCM HTTP v1 server and OAuth token endpoint on a real loopback port, scripted per
registration token; answers with Google's error bodies (FcmError details)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from testkit.backends import free_port

PROJECT = "overpush-test"
ERROR_STATUS = {404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                503: "UNAVAILABLE", 400: "INVALID_ARGUMENT"}


@dataclass
class FcmRequest:
    authorization: str
    message: dict[str, Any]


@dataclass
class FakeFcm:
    """`script[token]` is a queue of (status, errorCode, retry-after) answers; empty: 200."""

    port: int = field(default_factory=free_port)
    received: list[FcmRequest] = field(default_factory=list)
    tokens_issued: int = 0
    script: dict[str, deque[tuple[int, str, str | None]]] = field(
        default_factory=lambda: defaultdict(deque))
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, token: str, *answers: tuple[int, str, str | None]) -> None:
        self.script[token].extend(answers)

    def for_token(self, token: str) -> list[FcmRequest]:
        return [r for r in self.received if r.message["token"] == token]

    def credentials(self) -> str:
        """A service-account key whose token_uri points at this fake."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        return json.dumps({
            "type": "service_account", "project_id": PROJECT, "private_key_id": "k1",
            "private_key": pem, "client_email": f"push@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": f"{self.base_url}/token",
        })

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/token")
        async def token(request: Request) -> dict[str, Any]:
            form = await request.form()
            assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
            self.tokens_issued += 1
            return {"access_token": f"fake-{self.tokens_issued}", "expires_in": 3600,
                    "token_type": "Bearer"}

        @app.post(f"/v1/projects/{PROJECT}/messages:send")
        async def send(request: Request) -> JSONResponse:
            body = await request.json()
            req = FcmRequest(request.headers.get("authorization", ""), body["message"])
            self.received.append(req)
            if not req.authorization.startswith("Bearer fake-"):
                return _error(401, "UNAUTHENTICATED", None)
            queue = self.script.get(req.message["token"])
            if queue:
                return _error(*queue.popleft())
            return JSONResponse({"name": f"projects/{PROJECT}/messages/0:{len(self.received)}"})

        return app

    async def start(self) -> None:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_config=None,
                                lifespan="off", access_log=False)
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


def _error(status: int, code: str, retry_after: str | None) -> JSONResponse:
    body = {"error": {"code": status, "message": code, "status": ERROR_STATUS.get(status, ""),
                      "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                   "errorCode": code}]}}
    headers = {"retry-after": retry_after} if retry_after else {}
    return JSONResponse(body, status_code=status, headers=headers)
