"""A desktop device as the Open Client API describes it (spec §9), for tests and benchmarks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection


@dataclass
class DesktopDevice:
    base_url: str
    email: str
    password: str
    name: str = "desktop"
    secret: str = ""
    user_key: str = ""
    device_id: str = ""
    ws: ClientConnection | None = None
    seen: set[int] = field(default_factory=set)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/push"

    async def login(self, http: httpx.AsyncClient) -> None:
        r = await http.post(f"{self.base_url}/1/users/login.json",
                            data={"email": self.email, "password": self.password})
        r.raise_for_status()
        self.secret, self.user_key = r.json()["secret"], r.json()["id"]

    async def register(self, http: httpx.AsyncClient) -> None:
        r = await http.post(f"{self.base_url}/1/devices.json",
                            data={"secret": self.secret, "name": self.name, "os": "O"})
        assert r.status_code == 200, r.text
        self.device_id = r.json()["id"]

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.ws_url, compression=None)
        await self.ws.send(f"login:{self.device_id}:{self.secret}\n")
        # The server says '!' right after log-in so nothing queued meanwhile is missed.
        assert await self.frame() == b"!"

    async def frame(self, timeout: float = 10.0) -> bytes:
        assert self.ws is not None
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(data, bytes), f"frames must be binary, got {data!r}"
        return data

    async def frame_other_than_keepalive(self, timeout: float = 10.0) -> bytes:
        while (f := await self.frame(timeout)) == b"#":
            pass
        return f

    async def download(self, http: httpx.AsyncClient) -> list[dict[str, Any]]:
        r = await http.get(f"{self.base_url}/1/messages.json",
                           params={"secret": self.secret, "device_id": self.device_id})
        assert r.status_code == 200, r.text
        messages: list[dict[str, Any]] = r.json()["messages"]
        return messages

    async def delete_up_to(self, http: httpx.AsyncClient, highest: int) -> None:
        r = await http.post(
            f"{self.base_url}/1/devices/{self.device_id}/update_highest_message.json",
            data={"secret": self.secret, "message": str(highest)},
        )
        assert r.status_code == 200, r.text

    async def download_until(self, http: httpx.AsyncClient, n: int) -> list[dict[str, Any]]:
        """Downloads (deleting nothing) until `n` messages wait; each miss waits for a '!'.

        Delivery is at least once, so a '!' may be a repeat of an earlier one: never take one
        nudge to mean one particular message has arrived.
        """
        while len(messages := await self.download(http)) < n:
            await self.frame_other_than_keepalive()
        return messages

    async def receive(self, http: httpx.AsyncClient, n: int = 1) -> list[dict[str, Any]]:
        """Waits for `n` messages, fetches their attachments (as `attachment_bytes`), then
        deletes them from the server as a client does; returns them.

        Not `sync`: SQLite reuses the ids of deleted messages, so its umid dedupe would hide
        a new message that got a deleted one's id.
        """
        messages = await self.download_until(http, n)
        for m in messages:  # as a client must: fetch attachments before deleting
            if "attachment" in m:
                r = await http.get(m["attachment"], params={
                    "secret": self.secret, "device_id": self.device_id})
                assert r.status_code == 200, r.text
                m["attachment_bytes"] = r.content
        await self.delete_up_to(http, max(m["id"] for m in messages))
        return messages

    async def sync(self, http: httpx.AsyncClient) -> list[dict[str, Any]]:
        """Download, then delete what was downloaded; returns the messages not seen before."""
        messages = await self.download(http)
        if messages:
            await self.delete_up_to(http, max(m["id"] for m in messages))
        fresh = [m for m in messages if m["umid"] not in self.seen]
        self.seen.update(m["umid"] for m in messages)
        return fresh

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
