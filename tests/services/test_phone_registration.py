"""Registering phones (os=I/A with a push token), re-registering, and the settings endpoints."""

from __future__ import annotations

import httpx
from overpush.crypto import open_sealed, seal
from overpush.settings import Settings

from services.runner import Runner
from tests.factories import PASSWORD, make_user

IOS_TOKEN = "ab" * 32
FCM_TOKEN = "fcm-token:APA91b" + "x" * 100


async def _login(http: httpx.AsyncClient, base: str, email: str) -> str:
    r = await http.post(f"{base}/1/users/login.json", data={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    secret: str = r.json()["secret"]
    return secret


async def test_register_phones_and_reregister(server: Runner, base_url: str) -> None:
    ann = await make_user(server.rt)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        secret = await _login(http, base_url, ann.email)
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "iphone", "os": "I", "push_token": IOS_TOKEN})
        assert r.status_code == 200, r.text
        first = r.json()["id"]
        assert "encryption_key" not in r.json()

        # A reinstalled app registers the same name again: same device, new token, enabled.
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "iphone", "os": "I", "push_token": "cd" * 32,
            "encrypted": "1"})
        assert r.status_code == 200, r.text
        assert r.json()["id"] == first
        key = r.json()["encryption_key"]
        assert open_sealed(key, seal(key, b"hi", b"x"), b"x") == b"hi"

        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "pixel", "os": "A", "push_token": FCM_TOKEN})
        assert r.status_code == 200, r.text

        # Desktops keep spec section 9's duplicate-name error, on either side of a clash.
        r = await http.post("/1/devices.json", data={"secret": secret, "name": "desk", "os": "O"})
        assert r.status_code == 200
        for name, os, token in (("desk", "O", ""), ("desk", "A", FCM_TOKEN),
                                ("pixel", "O", "")):
            r = await http.post("/1/devices.json", data={
                "secret": secret, "name": name, "os": os, "push_token": token})
            assert r.status_code == 400
            assert r.json()["errors"] == {"name": ["has already been taken"]}

        r = await http.get("/1/messages.json", params={"secret": secret, "device_id": first})
        assert r.json()["device"]["encryption_enabled"] is True


async def test_registration_errors(server: Runner, base_url: str) -> None:
    ann = await make_user(server.rt)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        secret = await _login(http, base_url, ann.email)
        r = await http.post("/1/devices.json", data={"secret": secret, "name": "p", "os": "I"})
        assert r.status_code == 400 and "push_token" in r.json()["errors"]
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "p", "os": "I", "push_token": "not-hex"})
        assert r.status_code == 400 and "push_token" in r.json()["errors"]
        r = await http.post("/1/devices.json", data={"secret": secret, "name": "p", "os": "W"})
        assert r.status_code == 400 and "os" in r.json()["errors"]


async def test_settings_endpoints(server: Runner, base_url: str, settings: Settings) -> None:
    ann = await make_user(server.rt)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        secret = await _login(http, base_url, ann.email)
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "pixel", "os": "A", "push_token": FCM_TOKEN})
        device = r.json()["id"]

        r = await http.post("/1/users/settings.json", data={
            "secret": secret, "quiet_start": "22:00", "quiet_end": "07:30",
            "timezone": "Europe/Berlin", "default_sound": "bike"})
        assert r.status_code == 200, r.text
        user = r.json()["user"]
        assert (user["quiet_hours"], user["quiet_start"], user["quiet_end"]) == (
            True, "22:00", "07:30")
        assert (user["timezone"], user["default_sound"]) == ("Europe/Berlin", "bike")

        r = await http.post(f"/1/devices/{device}/settings.json", data={
            "secret": secret, "always_use_default_sound": "1"})
        assert r.status_code == 200, r.text
        assert r.json()["device"]["always_use_default_sound"] is True

        r = await http.get("/1/messages.json", params={"secret": secret, "device_id": device})
        body = r.json()
        assert body["user"]["quiet_start"] == "22:00"
        assert body["device"]["default_sound"] == "bike"
        assert body["device"]["always_use_default_sound"] is True

        for bad, field in (({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
                           ({"quiet_start": "22:00"}, "quiet_start"),
                           ({"timezone": "Mars/Olympus"}, "timezone"),
                           ({"default_sound": "no way!"}, "default_sound")):
            r = await http.post("/1/users/settings.json", data={"secret": secret, **bad})
            assert r.status_code == 400 and r.json()[field] == "invalid", r.text
        r = await http.post(f"/1/devices/{device}/settings.json", data={
            "secret": secret, "always_use_default_sound": "maybe"})
        assert r.status_code == 400
        r = await http.post("/1/users/settings.json", data={
            "secret": secret, "quiet_start": "", "quiet_end": ""})
        assert r.json()["user"]["quiet_hours"] is False


async def test_a_token_belongs_to_one_registration(server: Runner, base_url: str) -> None:
    """The phone's app logged into another account: the old account stops getting its pushes."""
    from overpush.models import Device
    from sqlalchemy import select

    ann, bo = await make_user(server.rt), await make_user(server.rt)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        for user, name in ((ann, "phone"), (bo, "borrowed")):
            secret = await _login(http, base_url, user.email)
            r = await http.post("/1/devices.json", data={
                "secret": secret, "name": name, "os": "A", "push_token": FCM_TOKEN})
            assert r.status_code == 200, r.text
    async with server.rt.sessions() as session:
        devices = {d.name: d for d in (await session.scalars(select(Device))).all()}
    assert (devices["phone"].enabled, devices["phone"].push_token) == (False, None)
    assert (devices["borrowed"].enabled, devices["borrowed"].push_token) == (True, FCM_TOKEN)
