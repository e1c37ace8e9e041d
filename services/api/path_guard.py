"""Paths no route can mean: a control character (NUL above all) in the decoded path.

PostgreSQL refuses NUL in text with an error, so `/1/groups/%00.json` would reach the
database and fail there (a 5xx) while SQLite simply finds nothing. No identifier of ours
holds a control character, so such a path names nothing: it is answered 404 here, the same
way on both backends, before any route sees it.
"""

from __future__ import annotations

import json

from overpush.errors import ApiError, E
from overpush.ids import request_id
from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F))


def unroutable(path: str) -> bool:
    return not CONTROL.isdisjoint(path)


class PathGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not unroutable(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        body = json.dumps(ApiError.of(E.NOT_FOUND).body(request_id())).encode()
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
