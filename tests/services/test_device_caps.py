"""Devices per user are capped (OVERPUSH_MAX_DEVICES_PER_USER), and a message's `device` list
may not name more devices than that (issue 14, item 11): on both backends."""

from __future__ import annotations

import httpx
import pytest
from overpush.models import Message
from overpush.settings import Settings
from sqlalchemy import select

from services.runner import Runner
from tests.checks import error_body, is_uuid
from tests.factories import Person

CAP = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.max_devices_per_user = CAP
    return settings


@pytest.fixture
def ann_connects() -> bool:
    return False


async def test_registration_stops_at_the_cap_and_resumes_after_a_delete(
    server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person,
) -> None:
    secret = ann.device.secret  # Ann has "laptop" already

    async def register(name: str) -> httpx.Response:
        return await http.post(f"{base_url}/1/devices.json",
                               data={"secret": secret, "name": name, "os": "O"})

    ids = [(await register(name)).json()["id"] for name in ("desk", "tablet")]
    r = await register("fourth")
    assert r.status_code == 400, r.text
    body = r.json()
    assert is_uuid(body.pop("request"))
    assert body == {"errors": {"name": [
        "this account has as many devices as it may have; delete one first"]}, "status": 0}
    # Re-registering a device she has is no new device, and is answered as before.
    r = await register("desk")
    assert r.json()["errors"] == {"name": ["has already been taken"]}
    r = await http.post(f"{base_url}/1/devices/{ids[0]}/delete.json", data={"secret": secret})
    assert r.status_code == 200, r.text
    assert (await register("fourth")).status_code == 200


async def test_a_device_list_longer_than_the_cap_is_refused(
    server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
) -> None:
    url = f"{base_url}/1/messages.json"
    r = await http.post(url, data={"token": token, "user": ann.key, "message": "hi",
                                   "device": ",".join(f"d{i}" for i in range(CAP + 1))})
    error_body(r, 400, [f"device names more devices than a user may have; the limit is {CAP}"],
               device="invalid")
    # The same name many times is one name, and is stored once.
    r = await http.post(url, data={"token": token, "user": ann.key, "message": "hi",
                                   "device": ",".join(["laptop"] * 50_000)})
    assert r.status_code == 200, r.text
    async with server.rt.sessions() as session:
        assert (await session.scalars(select(Message.devices))).all() == ["laptop"]
