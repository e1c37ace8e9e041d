"""Where accepted messages go: several users, the `device` parameter, and ttl expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from overpush.clock import FixedClock
from overpush.models import Delivery, Message
from overpush.settings import Settings

from services.runner import Runner
from testkit.device import DesktopDevice
from testkit.servers import running
from tests.checks import count
from tests.factories import Person, make_app, person


async def test_several_users_each_reach_their_devices(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    bob = await person(server.rt, http, base_url, "phone")
    try:
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": f"{ann.key},{bob.key}", "message": "to both"})
        assert r.status_code == 200, r.text
        assert r.headers["X-Limit-App-Remaining"] == "7498"  # one message per recipient
        (a,), (b,) = await ann.device.receive(http, 1), await bob.device.receive(http, 1)
        assert a["message"] == b["message"] == "to both"
        assert a["umid"] != b["umid"]
    finally:
        await bob.close()


async def test_device_parameter_picks_devices(
    server: Runner, http: httpx.AsyncClient, base_url: str
) -> None:
    cat = await person(server.rt, http, base_url, "laptop", "desk", "phone")
    laptop, desk, phone = cat.devices
    token = await make_app(server.rt, cat.account)
    url = f"{base_url}/1/messages.json"
    try:
        async def send(message: str, **extra: Any) -> None:
            r = await http.post(url, data={"token": token, "user": cat.key,
                                           "message": message}, **extra)
            assert r.status_code == 200, r.text

        async def received(*devices: DesktopDevice) -> dict[str, list[str]]:
            got = {d.name: [m["message"] for m in await d.receive(http, 1)] for d in devices}
            # All of a message's queue rows are written at once: the others have nothing.
            return got | {d.name: [m["message"] for m in await d.download(http)]
                          for d in cat.devices if d not in devices}

        await send("laptop only", params={"device": "laptop"})
        assert await received(laptop) == {"laptop": ["laptop only"], "desk": [], "phone": []}
        # Repeated fields (pushover-complete) and comma lists (apprise) name several devices.
        await send("two", params=[("device", "laptop"), ("device", "desk")])
        assert await received(laptop, desk) == {"laptop": ["two"], "desk": ["two"], "phone": []}
        await send("listed", params={"device": "phone,desk"})
        assert await received(phone, desk) == {"laptop": [], "desk": ["listed"],
                                               "phone": ["listed"]}
        # An unknown name, or apprise's ALL_DEVICES, reaches every device.
        for name in ("tablet", "ALL_DEVICES"):
            await send(name, params={"device": name})
            assert await received(laptop, desk, phone) == {
                "laptop": [name], "desk": [name], "phone": [name]}
    finally:
        await cat.close()
    assert await count(server.rt, Delivery) == 0


async def test_device_is_ignored_when_several_user_keys_are_named(
    server: Runner, http: httpx.AsyncClient, base_url: str
) -> None:
    """Pushover: "device ... is ignored when several user keys are named" (issue 17 §1)."""
    cat = await person(server.rt, http, base_url, "laptop", "phone")
    dog = await person(server.rt, http, base_url, "laptop", "desk")
    token = await make_app(server.rt, cat.account)
    try:
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": f"{cat.key},{dog.key}", "message": "everyone",
            "device": "laptop"})
        assert r.status_code == 200, r.text
        for d in (*cat.devices, *dog.devices):
            assert [m["message"] for m in await d.download_until(http, 1)] == ["everyone"], d.name
        # One key: the device is still honoured.
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": cat.key, "message": "laptop only", "device": "laptop"})
        assert r.status_code == 200, r.text
        laptop, phone = cat.devices
        assert [m["message"] for m in await laptop.download_until(http, 2)] == [
            "everyone", "laptop only"]
        assert [m["message"] for m in await phone.download(http)] == ["everyone"]
    finally:
        await cat.close()
        await dog.close()


@pytest.fixture
async def clock_server(settings: Settings) -> AsyncIterator[tuple[Runner, FixedClock]]:
    """Every service, as `server` starts them, on a clock the test moves."""
    clock = FixedClock(datetime.now(UTC))
    async with running(settings, clock=clock) as runner:
        yield runner, clock


async def test_expired_message_is_never_downloaded_and_is_removed(
    clock_server: tuple[Runner, FixedClock], http: httpx.AsyncClient, base_url: str
) -> None:
    server, clock = clock_server
    dan = await person(server.rt, http, base_url, "laptop", "phone")
    token = await make_app(server.rt, dan.account)
    url = f"{base_url}/1/messages.json"
    try:
        for message, ttl in (("short-lived", "60"), ("kept", "")):
            r = await http.post(url, data={"token": token, "user": dan.key,
                                           "message": message, "ttl": ttl})
            assert r.status_code == 200, r.text
        laptop, phone = dan.devices
        for d in dan.devices:
            assert len(await d.download_until(http, 2)) == 2
        clock.advance(61)
        assert [m["message"] for m in await laptop.download(http)] == ["kept"]
        assert await count(server.rt, Message) == 2  # the phone has not looked yet
        assert [m["message"] for m in await phone.sync(http)] == ["kept"]
        assert [m["message"] for m in await laptop.sync(http)] == ["kept"]
    finally:
        await dan.close()
    assert await count(server.rt, Delivery) == 0
    assert await count(server.rt, Message) == 0
