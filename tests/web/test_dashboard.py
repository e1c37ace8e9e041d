"""The dashboard: devices, a test notification, quiet hours and sounds, application tokens."""

from __future__ import annotations

import re

import httpx
from overpush.models import Device, User
from sqlalchemy import select

from services.runner import Runner
from testkit.device import DesktopDevice
from tests.web.helpers import PASSWORD, VIEWER, Browser


async def test_devices_and_test_notification(signed_in: Browser, server: Runner,
                                             base_url: str) -> None:
    device = DesktopDevice(base_url, VIEWER, PASSWORD, name="laptop")
    async with httpx.AsyncClient() as http:
        await device.login(http)
        await device.register(http)
        await device.connect()
        page = await signed_in.get("/")
        assert "laptop" in page.text and "Desktop" in page.text
        device_row = re.search(r'action="/devices/(\d+)/rename"', page.text)
        assert device_row
        pk = device_row.group(1)

        r = await signed_in.submit("/", "/test", {"message": "Hello from the dashboard",
                                                  "device": "laptop", "sound": "bugle",
                                                  "priority": "1"})
        assert r.headers["location"] == "/?sent=1"
        assert await device.frame_other_than_keepalive() == b"!"
        [m] = await device.sync(http)
        assert (m["message"], m["sound"], m["priority"]) == ("Hello from the dashboard",
                                                            "bugle", 1)
        await device.close()

    r = await signed_in.submit("/", f"/devices/{pk}/rename", {"name": "bad name!"})
    assert "error=" in r.headers["location"]
    await signed_in.submit("/", f"/devices/{pk}/rename", {"name": "workstation"})
    await signed_in.submit("/", f"/devices/{pk}/disable", {})
    async with server.rt.sessions() as s:
        d = await s.scalar(select(Device).where(Device.id == int(pk)))
        assert d is not None and (d.name, d.enabled) == ("workstation", False)
    await signed_in.submit("/", f"/devices/{pk}/delete", {})
    async with server.rt.sessions() as s:
        assert await s.scalar(select(Device).where(Device.id == int(pk))) is None


async def test_quiet_hours_and_default_sound(signed_in: Browser, server: Runner) -> None:
    r = await signed_in.submit("/", "/settings/alerts", {
        "quiet_start": "22:00", "quiet_end": "07:00", "timezone": "Europe/Berlin",
        "default_sound": "cosmic"})
    assert r.headers["location"] == "/?saved=1"
    async with server.rt.sessions() as s:
        u = await s.scalar(select(User).where(User.email == VIEWER))
        assert u is not None
        assert (u.quiet_start, u.quiet_end, u.timezone, u.default_sound) == \
            ("22:00", "07:00", "Europe/Berlin", "cosmic")
    r = await signed_in.submit("/", "/settings/alerts", {
        "quiet_start": "25:00", "quiet_end": "07:00", "timezone": "Europe/Berlin",
        "default_sound": "cosmic"})
    assert "error=" in r.headers["location"]
    r = await signed_in.submit("/", "/settings/alerts", {
        "quiet_start": "", "quiet_end": "", "timezone": "Mars/Olympus", "default_sound": "x"})
    assert "error=" in r.headers["location"]
    page = await signed_in.get("/?saved=1")
    assert 'value="22:00"' in page.text and "Settings saved" in page.text


async def test_regenerate_token(signed_in: Browser) -> None:
    r = await signed_in.submit("/", "/apps", {"name": "Monitor"})
    path = r.headers["location"]
    before = re.search(r'id="app-token">(\w+)<', (await signed_in.get(path)).text)
    await signed_in.submit(path, f"{path}/regenerate", {})
    after = re.search(r'id="app-token">(\w+)<', (await signed_in.get(path)).text)
    assert before and after and before.group(1) != after.group(1)
