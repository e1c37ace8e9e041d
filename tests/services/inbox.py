"""A real desktop device that keeps every message it downloads (duplicates too), and the
account it belongs to, made with the `overpush admin` command."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from testkit.device import DesktopDevice
from testkit.procs import cli

PASSWORD = "a long enough password"


@dataclass
class Account:
    email: str
    user_key: str
    token: str


def make_account(env: dict[str, str], email: str = "ann@example.com") -> Account:
    user = cli(env, "admin", "create-user", email, "--password-stdin", stdin=PASSWORD + "\n")
    app = cli(env, "admin", "create-app", email, "Monitor")
    return Account(email, user["user_key"], app["token"])


class Inbox:
    """A registered desktop device, and every message it ever downloaded (duplicates kept)."""

    def __init__(self, base_url: str, email: str) -> None:
        self.device = DesktopDevice(base_url, email, PASSWORD, name="laptop")
        self.got: list[dict[str, Any]] = []

    async def register(self, http: httpx.AsyncClient) -> None:
        await self.device.login(http)
        await self.device.register(http)

    async def connect(self, base_url: str | None = None) -> None:
        if base_url is not None:
            self.device.base_url = base_url
        await self.device.connect()  # the server says '!' at log-in
        await self.drain_after_nudge(None)

    async def drain_after_nudge(self, http: httpx.AsyncClient | None) -> None:
        async with httpx.AsyncClient(timeout=10) as own:
            messages = await self.device.download(http or own)
            if messages:
                await self.device.delete_up_to(http or own, max(m["id"] for m in messages))
        self.got.extend(messages)

    async def wait_for(self, http: httpx.AsyncClient, texts: set[str], timeout: float = 60) -> None:
        """Follow '!' nudges until every text has arrived; fails if a nudge never comes."""
        deadline = time.monotonic() + timeout
        while not texts <= self.texts():
            left = deadline - time.monotonic()
            assert left > 0, f"missing {sorted(texts - self.texts())}"
            try:
                frame = await self.device.frame_other_than_keepalive(timeout=left)
            except TimeoutError:
                raise AssertionError(f"no nudge for {sorted(texts - self.texts())}") from None
            assert frame == b"!", frame
            await self.drain_after_nudge(http)

    def texts(self) -> set[str]:
        return {m["message"] for m in self.got}

    def assert_exactly_once(self, texts: set[str]) -> None:
        mine = [m for m in self.got if m["message"] in texts]
        assert sorted(m["message"] for m in mine) == sorted(texts), "each message exactly once"
        assert len({m["umid"] for m in mine}) == len(texts)


async def post(http: httpx.AsyncClient, base: str, account: Account, message: str) -> None:
    r = await http.post(f"{base}/1/messages.json", data={
        "token": account.token, "user": account.user_key, "message": message,
    })
    assert r.status_code == 200, r.text
    assert r.json()["status"] == 1
