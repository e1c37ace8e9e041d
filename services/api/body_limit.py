"""One request-body limit for every route, pages as well as the API, enforced while reading.

FastAPI parses a page's form (`Form(...)`, `UploadFile`) before the route runs, and Starlette
spools multipart parts to disk with no total limit, so a 1.5 GB post to /login was written to
disk before the page answered. Here every `receive` of the body is counted: past the limit
(or with a Content-Length above it) reading stops with a 413, which the API answers in
Pushover's envelope and the pages as an HTML page. A route that never reads its body is not
affected; the server discards what nobody reads.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body is too large")


def declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        received = 0

        async def counted() -> Message:
            nonlocal received
            if declared is not None and declared > self.max_bytes:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        await self.app(scope, counted, send)
