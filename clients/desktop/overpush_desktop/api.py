"""The Open Client API (Pushover's device side) over HTTP, as any Overpush server speaks it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

TIMEOUT = 20.0
MAX_JSON_BYTES = 8 * 1024 * 1024  # a download of many queued messages; bounded all the same
USER_AGENT = "overpush-desktop/0.1"


class ApiError(Exception):
    """The server answered with a Pushover error envelope (status 0)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(self.text)

    @property
    def text(self) -> str:
        errors = self.body.get("errors")
        if isinstance(errors, dict):  # devices.json answers {"name": ["has already been taken"]}
            return "; ".join(f"{k} {v}" for k, vs in errors.items() for v in vs)
        if isinstance(errors, list) and errors:
            return "; ".join(str(e) for e in errors)
        return f"HTTP {self.status}"

    @property
    def name_taken(self) -> bool:
        errors = self.body.get("errors")
        return isinstance(errors, dict) and "has already been taken" in errors.get("name", [])

    @property
    def logged_out(self) -> bool:
        """The secret no longer works, or the device is gone: only a new login helps."""
        return self.status in (400, 401, 403, 404) and (
            self.body.get("secret") == "invalid" or "device_id" in self.body)


class TooLarge(Exception):
    """A download was larger than its bound."""


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class OpenClient:
    """One server. Only URLs on that server's origin ever get the secret."""

    def __init__(self, server: str, http: httpx.AsyncClient | None = None) -> None:
        self.server = server.rstrip("/")
        self.http = http or httpx.AsyncClient(timeout=TIMEOUT,
                                              headers={"User-Agent": USER_AGENT})

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def ws_url(self) -> str:
        return "ws" + self.server.removeprefix("http") + "/push"

    async def _call(self, method: str, path: str, data: dict[str, str]) -> dict[str, Any]:
        url = f"{self.server}{path}"
        if method == "GET":
            r = await self.http.get(url, params=data)
        else:
            r = await self.http.post(url, data=data)
        if len(r.content) > MAX_JSON_BYTES:
            raise TooLarge(url)
        try:
            body = r.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if r.status_code != 200 or body.get("status") != 1:
            raise ApiError(r.status_code, body)
        return body

    async def login(self, email: str, password: str, twofa: str = "") -> tuple[str, str]:
        """(user key, session secret). A 412 ApiError means: ask for the 2FA code."""
        data = {"email": email, "password": password}
        if twofa:
            data["twofa"] = twofa
        body = await self._call("POST", "/1/users/login.json", data)
        return str(body["id"]), str(body["secret"])

    async def register(self, secret: str, name: str) -> str:
        body = await self._call("POST", "/1/devices.json",
                                {"secret": secret, "name": name, "os": "O"})
        return str(body["id"])

    async def download(self, secret: str, device_id: str) -> list[dict[str, Any]]:
        body = await self._call("GET", "/1/messages.json",
                                {"secret": secret, "device_id": device_id})
        messages = body.get("messages")
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    async def delete_up_to(self, secret: str, device_id: str, highest: int) -> None:
        await self._call("POST", f"/1/devices/{device_id}/update_highest_message.json",
                         {"secret": secret, "message": str(highest)})

    async def acknowledge(self, secret: str, device_id: str, receipt: str) -> None:
        await self._call("POST", f"/1/receipts/{receipt}/acknowledge.json",
                         {"secret": secret, "device_id": device_id})

    async def delete_device(self, secret: str, device_id: str) -> None:
        await self._call("POST", f"/1/devices/{device_id}/delete.json", {"secret": secret})

    async def logout(self, secret: str) -> None:
        await self._call("POST", "/1/users/logout.json", {"secret": secret})

    async def fetch(self, url: str, limit: int,
                    params: dict[str, str] | None = None) -> tuple[bytes, str]:
        """(body, content type) of a file on this server, read up to `limit` bytes."""
        if origin(url) != origin(self.server):
            raise ValueError(f"{url} is not on {self.server}")
        async with self.http.stream("GET", url, params=params) as r:
            if r.status_code != 200:
                raise ApiError(r.status_code, {})
            chunks, size = [], 0
            async for chunk in r.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise TooLarge(url)
                chunks.append(chunk)
            return b"".join(chunks), r.headers.get("content-type", "")
