"""POST /1/users/logout.json and /1/devices/{id}/delete.json, over real HTTP, on both backends."""

from __future__ import annotations

import httpx
from overpush.models import ClientSession, Delivery, Device, Message
from sqlalchemy import func, select

from services.runner import Runner
from tests.factories import PASSWORD, Account, make_app, make_user, user_with_device

BAD_SECRET = ["secret is invalid"]


async def _count(server: Runner, table: type, *where: object) -> int:
    async with server.rt.sessions() as s:
        n: int = await s.scalar(select(func.count()).select_from(table).where(*where)) or 0
        return n


async def test_logout_revokes_only_that_secret(server: Runner, http: httpx.AsyncClient,
                                               base_url: str) -> None:
    laptop = await user_with_device(server.rt, base_url, http, name="laptop")
    again = await http.post(f"{base_url}/1/users/login.json",
                            data={"email": laptop.email, "password": laptop.password})
    other_secret = again.json()["secret"]

    r = await http.post(f"{base_url}/1/users/logout.json", data={"secret": laptop.secret})
    assert r.status_code == 200 and r.json()["status"] == 1 and r.json()["request"]
    # The revoked secret no longer works anywhere; the other session is untouched.
    r = await http.get(f"{base_url}/1/messages.json",
                       params={"secret": laptop.secret, "device_id": laptop.device_id})
    assert r.status_code == 400 and r.json()["errors"] == BAD_SECRET
    r = await http.get(f"{base_url}/1/messages.json",
                       params={"secret": other_secret, "device_id": laptop.device_id})
    assert r.status_code == 200
    assert await _count(server, ClientSession) == 1

    # Logging out twice, or with nothing, is the usual bad-secret error.
    for data in ({"secret": laptop.secret}, {}, {"secret": "x" * 5000}):
        r = await http.post(f"{base_url}/1/users/logout.json", data=data)
        body = r.json()
        assert r.status_code == 400 and body["status"] == 0 and body["errors"] == BAD_SECRET
        assert body["secret"] == "invalid" and body["request"]


async def test_delete_device_takes_its_queue_and_lone_messages(
        server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    rt = server.rt
    laptop = await user_with_device(rt, base_url, http, name="laptop", connect=True)
    phone = await user_with_device(rt, base_url, http, name="desk2", connect=True,
                                   account=Account(laptop.email, "", PASSWORD))
    token = await make_app(rt, await make_user(rt))
    send = {"token": token, "user": laptop.user_key}
    both = (await http.post(f"{base_url}/1/messages.json", data={**send, "message": "both"}))
    only = await http.post(f"{base_url}/1/messages.json",
                           data={**send, "message": "only the laptop", "device": "laptop"})
    assert both.status_code == 200 and only.status_code == 200
    for dev, n in ((laptop, 2), (phone, 1)):
        while len(await dev.download(http)) < n:
            await dev.frame_other_than_keepalive()
    laptop_row = await _device_row(server, laptop.device_id)
    assert await _count(server, Delivery, Delivery.device_id == laptop_row) == 2

    r = await http.post(f"{base_url}/1/devices/{laptop.device_id}/delete.json",
                        data={"secret": laptop.secret})
    assert r.status_code == 200 and r.json()["status"] == 1 and r.json()["request"]
    assert await _count(server, Device, Device.public_id == laptop.device_id) == 0
    assert await _count(server, Delivery, Delivery.device_id == laptop_row) == 0
    # The message only the laptop waited for is gone; the phone's copy of the other stays.
    assert [m["message"] for m in await phone.download(http)] == ["both"]
    assert await _count(server, Message) == 1
    r = await http.get(f"{base_url}/1/messages.json",
                       params={"secret": laptop.secret, "device_id": laptop.device_id})
    assert r.status_code == 400 and r.json()["device_id"] == "not found"
    for dev in (laptop, phone):
        await dev.close()


async def test_delete_device_refuses_others_and_bad_input(
        server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    ann = await user_with_device(server.rt, base_url, http, name="ann")
    bob = await user_with_device(server.rt, base_url, http, name="bob")
    url = f"{base_url}/1/devices/{bob.device_id}/delete.json"
    r = await http.post(url, data={"secret": ann.secret})  # not hers
    assert r.status_code == 400 and r.json()["device_id"] == "not found" and r.json()["status"] == 0
    r = await http.post(url, data={"secret": "nope"})
    assert r.status_code == 400 and r.json()["errors"] == BAD_SECRET
    r = await http.post(f"{base_url}/1/devices/{'Z' * 300}/delete.json",
                        data={"secret": bob.secret})
    assert r.status_code == 400 and r.json()["device_id"] == "not found"
    assert await _count(server, Device) == 2


async def _device_row(server: Runner, public_id: str) -> int:
    async with server.rt.sessions() as s:
        row: int = await s.scalar(select(Device.id).where(Device.public_id == public_id))
        return row
