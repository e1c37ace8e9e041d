"""The Open Client API (spec §9) and the /push WebSocket (§9.1) over real HTTP, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import websockets
from overpush.models import Delivery, Device, Message
from overpush.settings import Settings
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed

from services.runner import Runner
from testkit import servers
from testkit.device import DesktopDevice
from tests.checks import count, error_body, is_uuid
from tests.factories import PASSWORD, Person, make_app, make_user, person

BAD_SECRET = ["secret is invalid"]


@pytest.fixture
def ann_connects() -> bool:
    return False  # these tests open (or are refused) the WebSocket themselves


async def test_login(server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    acc = await make_user(server.rt)
    url = f"{base_url}/1/users/login.json"
    r = await http.post(url, data={"email": acc.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == acc.user_key and body["status"] == 1 and is_uuid(body["request"])
    assert len(body["secret"]) == 60 and body["secret"].isalnum()
    again = (await http.post(url, data={"email": acc.email, "password": PASSWORD})).json()
    assert again["secret"] != body["secret"]  # one secret per log-in session

    # An address is one identity whatever its case (issue 14, items 6 and 9).
    r = await http.post(url, data={"email": f" {acc.email.upper()}", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["id"] == acc.user_key, r.text

    failed = ["invalid email and/or password"]
    for data in ({"email": acc.email, "password": PASSWORD + "x"},
                 {"email": "nobody@example.com", "password": PASSWORD},
                 {"email": acc.email}, {}):
        error_body(await http.post(url, data=data), 400, failed, email="invalid")
    error_body(await http.post(url, data={"email": "a\x00@example.com", "password": "x"}), 400,
               ["email contains a NUL character or an unpaired surrogate"], email="invalid")


async def test_device_registration_errors(
    http: httpx.AsyncClient, base_url: str, ann: Person
) -> None:
    url = f"{base_url}/1/devices.json"
    secret = ann.device.secret

    async def register(**data: str) -> httpx.Response:
        return await http.post(url, data={"secret": secret, **data})

    def object_of_arrays(r: httpx.Response, errors: dict[str, list[str]]) -> None:
        # This endpoint alone answers errors as an object of arrays (NPushOver's capture).
        assert r.status_code == 400, r.text
        body = r.json()
        assert is_uuid(body.pop("request"))
        assert body == {"errors": errors, "status": 0}

    bad_name = ["name is invalid; use 1-25 characters of A-Z, a-z, 0-9, _ and -"]
    for name in ("", "my laptop", "x" * 26, "dröid"):
        object_of_arrays(await register(name=name, os="O"), {"name": bad_name})
    for os in ("", "o", "X", "W"):  # I and A are phones (tests/services/test_phone_registration.py)
        object_of_arrays(await register(name="desk", os=os),
                         {"os": ["os must be I (iOS), A (Android) or O"]})
    object_of_arrays(await register(name="a b", os="X"),
                     {"name": bad_name, "os": ["os must be I (iOS), A (Android) or O"]})
    object_of_arrays(await register(name="laptop", os="O"),
                     {"name": ["has already been taken"]})

    r = await register(name="desk", os="O")
    assert r.status_code == 200 and r.json()["status"] == 1, r.text
    device_id = r.json()["id"]
    assert len(device_id) == 40 and device_id.isalnum() and device_id.islower()
    object_of_arrays(await register(name="desk", os="O"), {"name": ["has already been taken"]})


async def test_bad_secret_on_every_endpoint(
    http: httpx.AsyncClient, base_url: str, ann: Person
) -> None:
    dev = ann.device.device_id
    for secret in ("", "x" * 60, ann.device.secret[:-1]):
        error_body(await http.post(f"{base_url}/1/devices.json",
                                   data={"secret": secret, "name": "desk", "os": "O"}),
                   400, BAD_SECRET, secret="invalid")
        error_body(await http.get(f"{base_url}/1/messages.json",
                                  params={"secret": secret, "device_id": dev}),
                   400, BAD_SECRET, secret="invalid")
        error_body(await http.post(f"{base_url}/1/devices/{dev}/update_highest_message.json",
                                   data={"secret": secret, "message": "1"}),
                   400, BAD_SECRET, secret="invalid")


async def test_someone_elses_device(
    server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person
) -> None:
    bob = await person(server.rt, http, base_url, "phone", connect=False)
    not_yours = ["device not found or not yours"]
    for device_id in (ann.device.device_id, "nosuchdevice", "", "A" * 40, "a" * 41):
        error_body(await http.get(f"{base_url}/1/messages.json", params={
            "secret": bob.device.secret, "device_id": device_id}),
            400, not_yours, device_id="not found")
    error_body(await http.post(
        f"{base_url}/1/devices/{ann.device.device_id}/update_highest_message.json",
        data={"secret": bob.device.secret, "message": "1"}),
        400, not_yours, device_id="not found")
    # Text PostgreSQL cannot store never reaches it: a path with a control character names
    # nothing (services/api/path_guard.py), the same on both backends.
    error_body(await http.post(f"{base_url}/1/devices/a%00b/update_highest_message.json",
                               data={"secret": bob.device.secret, "message": "1"}),
               404, ["no such API call"])
    error_body(await http.get(f"{base_url}/1/messages.json", params={
        "secret": bob.device.secret, "device_id": "a\x00b"}),
        400, ["device_id contains a NUL character or an unpaired surrogate"],
        device_id="invalid")
    # Ann's own secret works on her device.
    assert await ann.device.download(http) == []


async def test_update_highest_message_needs_a_message_id(
    http: httpx.AsyncClient, base_url: str, ann: Person
) -> None:
    url = f"{base_url}/1/devices/{ann.device.device_id}/update_highest_message.json"
    for value in ("", "abc", "-1", "1.5", "0x10", "\u0663", "1_0", "9" * 41):
        error_body(await http.post(url, data={"secret": ann.device.secret, "message": value}),
                   400, ["message must be a message id"], message="invalid")
    for value in ("0", "9" * 40):  # beyond 64 bits means everything, not an overflow
        r = await http.post(url, data={"secret": ann.device.secret, "message": value})
        assert r.status_code == 200 and r.json()["status"] == 1, r.text


async def test_deleting_on_every_device_leaves_nothing_on_the_server(
    server: Runner, http: httpx.AsyncClient, base_url: str
) -> None:
    eve = await person(server.rt, http, base_url, "laptop", "phone")
    token = await make_app(server.rt, eve.account, "Monitor")
    try:
        for text in ("one", "two"):
            r = await http.post(f"{base_url}/1/messages.json",
                                data={"token": token, "user": eve.key, "message": text})
            assert r.status_code == 200, r.text
        laptop, phone = eve.devices
        got = await laptop.receive(http, 2)
        assert sorted(m["message"] for m in got) == ["one", "two"]
        assert await laptop.download(http) == []
        assert await count(server.rt, Message) == 2  # the phone has not deleted them yet

        r = await http.get(f"{base_url}/1/messages.json",
                           params={"secret": phone.secret, "device_id": phone.device_id})
        body = r.json()
        assert body["status"] == 1 and is_uuid(body["request"])
        assert body["user"]["email"] == eve.account.email
        assert body["device"]["name"] == "phone"
        assert [m["id"] for m in body["messages"]] == sorted(m["id"] for m in body["messages"])
        for m in body["messages"]:
            assert m["id_str"] == str(m["id"]) and m["umid_str"] == str(m["umid"])
            assert (m["app"], m["acked"], m["priority"]) == ("Monitor", 0, 0)
        # pushover-complete sends parameters in a urlencoded body even on GET.
        r = await http.request("GET", f"{base_url}/1/messages.json",
                               content=f"secret={phone.secret}&device_id={phone.device_id}",
                               headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200 and r.json()["messages"] == body["messages"], r.text
        # Deleting up to the first id leaves the second.
        first, second = body["messages"]
        await phone.delete_up_to(http, first["id"])
        assert [m["umid"] for m in await phone.download(http)] == [second["umid"]]
        assert await count(server.rt, Message) == 1
        await phone.delete_up_to(http, second["id"])
    finally:
        await eve.close()
    assert await count(server.rt, Delivery) == 0
    assert await count(server.rt, Message) == 0


# -- WebSocket ------------------------------------------------------------------------------

async def expect_error_then_close(ws_url: str, frame: str | bytes) -> None:
    async with websockets.connect(ws_url, compression=None) as ws:
        await ws.send(frame)
        assert await asyncio.wait_for(ws.recv(), 10) == b"E"
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)


async def test_websocket_login(
    server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person
) -> None:
    bob = await person(server.rt, http, base_url, "phone", connect=False)
    dev, secret = ann.device.device_id, ann.device.secret
    for frame in ("hello\n", "login\n", f"login:{dev}\n", f"login:{dev}:{secret}:x\n",
                  f"login:{dev}:{'x' * 60}\n", f"login:nosuchdevice:{secret}\n",
                  f"login:{dev}:{bob.device.secret}\n", f"logout:{dev}:{secret}\n",
                  f"login:a\x00b:{secret}\n", f"login:{dev}:\x00\n",
                  f"login:{dev}:{secret}\n".encode()):  # binary, not the text frame
        await expect_error_then_close(ann.device.ws_url, frame)

    await ann.device.connect()  # asserts that '!' comes first, as a binary frame
    await bob.device.connect()

    # A disabled device may not log in.
    async with server.rt.sessions() as session, session.begin():
        await session.execute(update(Device).where(Device.public_id == dev).values(enabled=False))
    await expect_error_then_close(ann.device.ws_url, f"login:{dev}:{secret}\n")
    await bob.close()


async def test_websocket_nudge_is_a_binary_bang(
    server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person
) -> None:
    await ann.device.connect()
    token = await make_app(server.rt, ann.account)
    r = await http.post(f"{base_url}/1/messages.json",
                        data={"token": token, "user": ann.key, "message": "ping"})
    assert r.status_code == 200, r.text
    assert await ann.device.frame_other_than_keepalive() == b"!"  # frame() checks binary
    assert [m["message"] for m in await ann.device.receive(http, 1)] == ["ping"]


@pytest.fixture
async def start_server(settings: Settings) -> AsyncIterator[Callable[..., Awaitable[Runner]]]:
    """Starts every service as the `server` fixture does, with some settings changed."""
    runners: list[Runner] = []

    async def start(**overrides: Any) -> Runner:
        runners.append(await servers.start(settings.model_copy(update=overrides)))
        return runners[-1]

    yield start
    for runner in runners:
        await runner.stop()


async def connected_device(runner: Runner, http: httpx.AsyncClient,
                           base_url: str) -> DesktopDevice:
    return (await person(runner.rt, http, base_url, "laptop")).device


async def test_websocket_keepalive(
    start_server: Callable[..., Awaitable[Runner]], http: httpx.AsyncClient, base_url: str
) -> None:
    runner = await start_server(websocket_keepalive=0.2)
    device = await connected_device(runner, http, base_url)
    try:
        assert [await device.frame() for _ in range(2)] == [b"#", b"#"]
    finally:
        await device.close()


async def test_server_shutdown_tells_devices_to_reconnect(
    settings: Settings, http: httpx.AsyncClient, base_url: str
) -> None:
    runner = await servers.start(settings)
    try:
        device = await connected_device(runner, http, base_url)
    except BaseException:
        await runner.stop()
        raise
    stopping = asyncio.create_task(runner.stop())
    try:
        assert await device.frame_other_than_keepalive() == b"R"
        with pytest.raises(ConnectionClosed):
            await device.frame()
    finally:
        await stopping
        await device.close()


async def test_devices_deleting_at_once_leave_nothing_behind(
    server: Runner, http: httpx.AsyncClient, base_url: str
) -> None:
    # Each device's delete sees the other's queue rows as still there unless the deletes are
    # serialized on the message: both would keep the message, and it would stay forever.
    fay = await person(server.rt, http, base_url, "laptop", "phone", "desk", connect=False)
    token = await make_app(server.rt, fay.account)
    first = fay.devices[0]
    await first.connect()
    try:
        for round_ in range(5):
            r = await http.post(f"{base_url}/1/messages.json",
                                data={"token": token, "user": fay.key, "message": "hi"})
            assert r.status_code == 200, r.text
            await first.download_until(http, 1)  # dispatched: every device has its row
            tops = [max(m["id"] for m in await d.download(http)) for d in fay.devices]
            await asyncio.gather(*(d.delete_up_to(http, top)
                                   for d, top in zip(fay.devices, tops, strict=True)))
            assert await count(server.rt, Message) == 0, f"round {round_}"
    finally:
        await fay.close()
