"""Builders for test data: accounts and applications through the same code the `overpush admin`
command uses, people with registered desktop devices, and small real images."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field

import httpx
from overpush.ids import device_id
from overpush.models import Device, User
from overpush.runtime import Runtime
from PIL import Image
from sqlalchemy import select

from services.admin import accounts as admin
from testkit.device import DesktopDevice

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    email: str
    user_key: str
    password: str = PASSWORD


async def make_user(rt: Runtime, email: str | None = None) -> Account:
    email = email or f"user{next(_seq)}@example.com"
    out = await admin.create_user(rt, email, PASSWORD)
    return Account(out["email"], out["user_key"])


async def with_device(rt: Runtime) -> Account:
    """An account with one enabled device row and no client behind it: a recipient that
    messages are queued for, for tests that read the database rather than download."""
    acc = await make_user(rt)
    async with rt.sessions() as session, session.begin():
        uid = await session.scalar(select(User.id).where(User.user_key == acc.user_key))
        assert uid is not None
        session.add(Device(public_id=device_id(), user_id=uid, name="phone", os="O",
                           enabled=True, created_at=rt.clock.now()))
    return acc


async def make_app(rt: Runtime, owner: Account, name: str = "Test app") -> str:
    out = await admin.create_app(rt, owner.email, name)
    token: str = out["token"]
    return token


async def user_with_device(rt: Runtime, base_url: str, http: httpx.AsyncClient,
                           name: str = "desktop", connect: bool = False,
                           account: Account | None = None) -> DesktopDevice:
    """A new user (or `account`) with one registered desktop device, logged in as a client."""
    account = account or await make_user(rt)
    device = DesktopDevice(base_url, account.email, account.password, name=name)
    await device.login(http)
    await device.register(http)
    if connect:
        await device.connect()
    return device


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
        p.devices.append(await user_with_device(rt, base_url, http, name, connect, p.account))
    return p


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 6)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()
