"""The dashboard: devices, a test notification, quiet hours and sounds, application tokens."""

from __future__ import annotations

import re

import httpx
from overpush.models import Device, User
from sqlalchemy import select

from services.runner import Runner
from testkit.device import DesktopDevice
from tests.web.helpers import PASSWORD, VIEWER, Browser, problem_of


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

        r = await signed_in.submit("/", "/apps", {"name": "Test sender"})
        app_id = r.headers["location"].rsplit("/", 1)[1]
        r = await signed_in.submit("/", "/test", {"message": "Hello from the dashboard",
                                                  "app": app_id, "device": "laptop",
                                                  "sound": "bugle", "priority": "1"})
        assert r.headers["location"] == "/?notice=test_sent"
        assert await device.frame_other_than_keepalive() == b"!"
        [m] = await device.sync(http)
        assert (m["message"], m["sound"], m["priority"]) == ("Hello from the dashboard",
                                                            "bugle", 1)
        await device.close()

    r = await signed_in.submit("/", f"/devices/{pk}/rename", {"name": "bad name!"})
    assert "Device names have 1 to 25" in problem_of(r)
    await signed_in.submit("/", f"/devices/{pk}/rename", {"name": "workstation"})
    await signed_in.submit("/", f"/devices/{pk}/disable", {})
    async with server.rt.sessions() as s:
        d = await s.scalar(select(Device).where(Device.id == int(pk)))
        assert d is not None and (d.name, d.enabled) == ("workstation", False)
    await signed_in.submit("/", f"/devices/{pk}/delete", {})
    async with server.rt.sessions() as s:
        assert await s.scalar(select(Device).where(Device.id == int(pk))) is None


async def test_quiet_hours_and_default_sound(signed_in: Browser, server: Runner) -> None:
    r = await signed_in.submit("/account", "/settings/alerts", {
        "quiet_start": "22:00", "quiet_end": "07:00", "timezone": "Europe/Berlin",
        "default_sound": "cosmic"})
    assert r.headers["location"] == "/account?notice=settings_saved"
    async with server.rt.sessions() as s:
        u = await s.scalar(select(User).where(User.email == VIEWER))
        assert u is not None
        assert (u.quiet_start, u.quiet_end, u.timezone, u.default_sound) == \
            ("22:00", "07:00", "Europe/Berlin", "cosmic")
    r = await signed_in.submit("/account", "/settings/alerts", {
        "quiet_start": "25:00", "quiet_end": "07:00", "timezone": "Europe/Berlin",
        "default_sound": "cosmic"})
    assert "Quiet hours need both" in problem_of(r)
    r = await signed_in.submit("/account", "/settings/alerts", {
        "quiet_start": "", "quiet_end": "", "timezone": "Mars/Olympus", "default_sound": "x"})
    assert "Pick a time zone" in problem_of(r)
    page = await signed_in.get("/account?notice=settings_saved")
    assert 'value="22:00"' in page.text and "Settings saved" in page.text


async def test_regenerate_token(signed_in: Browser) -> None:
    r = await signed_in.submit("/", "/apps", {"name": "Monitor"})
    path = r.headers["location"]
    before = re.search(r'id="app-token">(\w+)<', (await signed_in.get(path)).text)
    await signed_in.submit(path, f"{path}/regenerate", {})
    after = re.search(r'id="app-token">(\w+)<', (await signed_in.get(path)).text)
    assert before and after and before.group(1) != after.group(1)
