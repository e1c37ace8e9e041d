"""Plain ASGI plumbing for the api's hottest HTTP endpoint (POST /1/messages.json).

Served through FastAPI, that one call spent more CPU in the framework (eleven middleware
layers, the router's search through every included router, dependency solving, the form
parser) than in admitting the message: see bench/README.md, Profiles. Here it is served
ahead of the FastAPI stack, as /push is, with what that stack would have done for it done
here: the body limit counted while reading, Pushover's envelope for every error (a 503 for
our own trouble, a 500 for a fault), the security headers, the rejection metrics. The
connection limits (header and body timeouts, connection caps) live in the HTTP protocol
(services/api/guard.py), below every route, and hold here as everywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from overpush.errors import ApiError, E
from overpush.metrics import Metrics
from sqlalchemy.exc import DBAPIError, OperationalError

from services.api.web.headers import security_headers

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# Our own trouble (database down, pool exhausted): a 5xx that tells clients to retry, as the
# FastAPI stack's handlers answer (services/api/responses.py).
TROUBLE = (OperationalError, DBAPIError, TimeoutError, ConnectionError)


class Disconnected(Exception):
    """The client went away before its body arrived: there is nobody to answer."""


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (`name` lower-case), as Starlette reads it."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def read_body(receive: Receive, max_bytes: int) -> bytes:
    """The whole body, refused with BODY_TOO_LARGE as soon as it passes `max_bytes`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise ApiError.of(E.BODY_TOO_LARGE)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class Answers:
    """JSON answers with the security headers every api answer carries."""

    def __init__(self, hsts_max_age: int, metrics: Metrics) -> None:
        self._always = [(k.lower().encode(), v.encode())
                        for k, v in security_headers(hsts_max_age)]
        self._metrics = metrics

    async def json(self, send: Send, status: int, content: Mapping[str, Any],
                   headers: Mapping[str, str] | None = None) -> None:
        # As Starlette's JSONResponse renders it.
        body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None,
                          separators=(",", ":")).encode()
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1"))
               for k, v in (headers or {}).items()]
        raw += [(b"content-length", str(len(body)).encode()),
                (b"content-type", b"application/json")]
        named = {k for k, _ in raw}
        raw += [(k, v) for k, v in self._always if k not in named]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    async def error(self, send: Send, rid: str, exc: Exception) -> None:
        """The envelope for an exception raised while answering: an ApiError as itself, our
        own trouble as a 503, anything else as a 500 (logged)."""
        if isinstance(exc, ApiError):
            err = exc
        elif isinstance(exc, TROUBLE):
            log.error("request %s failed: %s", rid, exc, exc_info=exc)
            err = ApiError.of(E.UNAVAILABLE)
        else:
            log.error("request %s failed", rid, exc_info=exc)
            err = ApiError.of(E.INTERNAL)
        for e in err.errors:
            self._metrics.rejected.labels(e.spec.code).inc()
        await self.json(send, err.status, err.body(rid), err.headers)
