"""OAuth2 access tokens for FCM from a service-account key (google-auth), cached and renewed.

google-auth's refresh is synchronous and wants a transport; this one is httpx, so no second
HTTP stack is needed, and it runs in a thread so the dispatcher's loop never blocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
from google.auth import exceptions, transport
from google.oauth2 import service_account

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


class _Response(transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._r = response

    @property
    def status(self) -> int:
        return self._r.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._r.headers

    @property
    def data(self) -> bytes:
        return self._r.content


class _HttpxRequest(transport.Request):
    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    def __call__(self, url: str, method: str = "GET", body: Any = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None,
                 **kwargs: Any) -> _Response:
        try:
            with httpx.Client(timeout=timeout or self._timeout) as client:
                return _Response(client.request(method, url, content=body, headers=headers))
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(str(exc)) from exc  # type: ignore[no-untyped-call]


class AccessTokens:
    """The current access token; renewed when google-auth says it is no longer valid (a
    little before its hour is up) or when FCM answered 401."""

    def __init__(self, info: Mapping[str, Any], timeout: float) -> None:
        self._creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            dict(info), scopes=[SCOPE])
        self._request = _HttpxRequest(timeout)
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        async with self._lock:  # one refresh at a time, however many pushes wait
            if not self._creds.valid:
                await asyncio.to_thread(self._creds.refresh, self._request)
            token: str = self._creds.token
            return token

    def invalidate(self) -> None:
        self._creds.token = None
