"""People for service tests: a user with logged-in desktop devices, and row counts to check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from overpush.runtime import Runtime
from sqlalchemy import func, select

from tests.clients import DesktopDevice
from tests.factories import Account, make_user


@dataclass
class Person:
    account: Account
    devices: list[DesktopDevice] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.account.user_key

    @property
    def device(self) -> DesktopDevice:
        return self.devices[0]

    async def close(self) -> None:
        for d in self.devices:
            await d.close()


async def person(rt: Runtime, http: httpx.AsyncClient, base_url: str,
                 *device_names: str, connect: bool = True) -> Person:
    """A new user with one registered (and, by default, WebSocket-connected) device per name."""
    p = Person(await make_user(rt))
    for name in device_names:
        d = DesktopDevice(base_url, p.account.email, p.account.password, name=name)
        await d.login(http)
        await d.register(http)
        if connect:
            await d.connect()
        p.devices.append(d)
    return p


async def count(rt: Runtime, model: Any) -> int:
    async with rt.sessions() as session:
        n = await session.scalar(select(func.count()).select_from(model))
    return int(n or 0)


def is_uuid(value: object) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


def error_body(r: httpx.Response, status: int, errors: list[str],
               **fields: str) -> None:
    """Asserts the response is exactly Pushover's error envelope."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert is_uuid(body.pop("request")), body
    assert body == {**fields, "errors": errors, "status": 0}


async def download_until(device: DesktopDevice, http: httpx.AsyncClient,
                         n: int) -> list[dict[str, Any]]:
    """Downloads (deleting nothing) until `n` messages wait; each miss waits for a '!' nudge.

    Delivery is at least once, so a '!' may be a repeat of an earlier one: never take one
    nudge to mean one particular message has arrived.
    """
    while len(messages := await device.download(http)) < n:
        await device.frame_other_than_keepalive()
    return messages


async def receive(device: DesktopDevice, http: httpx.AsyncClient,
                  n: int) -> list[dict[str, Any]]:
    """Waits for `n` messages, deletes them from the server as a client does, returns them."""
    messages = await download_until(device, http, n)
    await device.delete_up_to(http, max(m["id"] for m in messages))
    return messages
