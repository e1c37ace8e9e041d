"""overpush-desktop's notifications on a real DBus session bus, on both backends: a test
notification service records each Notify call and presses buttons as a person would; fake
`xdg-open` and `paplay` on PATH record what would be opened and played."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from overpush.models import Receipt
from sqlalchemy import update

from services.admin import accounts as admin
from services.runner import Runner
from tests.desktop.notification_service import (
    Notifications,
    Shown,
    notification_service,
    session_bus,
)
from tests.desktop.support import Desktop, Listening, eventually
from tests.factories import PASSWORD, image_bytes, make_app, make_user
from tests.waiting import until

MARKUP = ["actions", "body", "body-markup", "icon-static", "persistence"]
pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]  # `overpush-desktop` processes


@pytest.fixture
async def bus() -> AsyncIterator[str]:
    async with session_bus() as address:
        yield address


async def _start(server: Runner, base_url: str, tmp_path: Path, bus: str,
                 ) -> tuple[Desktop, Listening, str, str]:
    me = await make_user(server.rt)
    token = await make_app(server.rt, await make_user(server.rt), name="Monitor")
    desk = Desktop(tmp_path / "desk", bus=bus)
    desk.fake_tools("xdg-open", "paplay")
    await desk.login(base_url, me.email, PASSWORD, "--name", "desk")
    listening = await desk.listen("--verbose")
    await listening.wait_log("listening on")
    return desk, listening, token, me.user_key


async def _next(service: Notifications, n: int, listening: Listening) -> Shown:
    await until(lambda: len(service.shown) >= n,
                f"notification {n}; log:\n{listening.log.read_text()}", 30)
    return service.shown[n - 1]


async def _realert_now(server: Runner, receipt: str) -> None:
    """The next re-alert falls due now, as if `retry` seconds had passed."""
    async with server.rt.sessions() as s, s.begin():
        await s.execute(update(Receipt).where(Receipt.receipt == receipt)
                        .values(next_attempt_at=datetime.now(UTC)))


async def test_notifications_and_acknowledge(server: Runner, base_url: str, tmp_path: Path,
                                             bus: str) -> None:
    async with notification_service(bus, MARKUP) as service, \
            httpx.AsyncClient(timeout=10) as http:
        desk, listening, token, user = await _start(server, base_url, tmp_path, bus)
        send = {"token": token, "user": user}
        try:
            # A normal HTML message: markup kept to the spec's subset, the app icon, a sound.
            r = await http.post(f"{base_url}/1/messages.json", data={
                **send, "title": "Disk", "html": "1", "sound": "bike",
                "message": '<b>sda</b> is <font color="#ff0000">full</font> & hot',
                "url": "https://status.example.com/sda", "url_title": "Status"})
            assert r.status_code == 200, r.text
            shown = await _next(service, 1, listening)
            assert (shown.app_name, shown.title) == ("Overpush", "Disk")
            assert shown.body == ('<b>sda</b> is full &amp; hot\n'
                                  '<a href="https://status.example.com/sda">Status</a>')
            assert shown.urgency == 1 and "Acknowledge" not in shown.actions.values()
            icon = Path(urlparse(shown.icon).path)
            assert shown.icon.startswith("file://")
            assert (await asyncio.to_thread(icon.read_bytes))[:8] == b"\x89PNG\r\n\x1a\n"
            await until(lambda: any("paplay" in c and c.endswith(".wav") for c in desk.calls()),
                        "the bike sound played")
            service.press(shown, "")  # a click on the notification opens its URL
            await until(lambda: any(c.endswith("xdg-open https://status.example.com/sda")
                                    for c in desk.calls()), "the URL opened")

            # -2 is not shown; -1 is quiet (low urgency, no sound).
            for priority, text in (("-2", "lowest"), ("-1", "quiet")):
                r = await http.post(f"{base_url}/1/messages.json",
                                    data={**send, "message": text, "priority": priority})
                assert r.status_code == 200, r.text
            quiet = await _next(service, 2, listening)
            assert (quiet.title, quiet.body, quiet.urgency) == ("Monitor", "quiet", 0)
            played = len([c for c in desk.calls() if "paplay" in c])

            # An emergency: critical, sticky, with Acknowledge, which acknowledges the receipt.
            r = await http.post(f"{base_url}/1/messages.json", data={
                **send, "message": "db1 is down", "priority": "2", "retry": "30",
                "expire": "3600"})
            receipt = r.json()["receipt"]
            alarm = await _next(service, 3, listening)
            assert (alarm.body, alarm.urgency, alarm.timeout) == ("db1 is down", 2, 0)
            assert "Acknowledge" in alarm.actions.values()
            await until(lambda: len([c for c in desk.calls() if "paplay" in c]) > played,
                        "the emergency sound played")
            assert [n.body for n in service.shown].count("lowest") == 0  # -2: never shown

            async def acknowledged() -> bool:
                state = (await http.get(f"{base_url}/1/receipts/{receipt}.json",
                                        params={"token": token})).json()
                return bool(state["acknowledged"]) and state["acknowledged_by"] == user

            # A re-alert: the same alarm again, replacing the first.
            await _realert_now(server, receipt)
            again = await _next(service, 4, listening)
            assert (again.body, again.urgency) == ("db1 is down", 2)
            assert alarm.id in service.closed
            # Dismissed without acknowledging: the next re-alert shows it once more.
            service.dismiss(again)
            await _realert_now(server, receipt)
            again = await _next(service, 5, listening)
            assert (again.body, again.urgency) == ("db1 is down", 2)

            assert not await acknowledged()
            service.press(again, "Acknowledge")
            await eventually(acknowledged, "the receipt acknowledged from the notification")
            state = (await http.get(f"{base_url}/1/receipts/{receipt}.json",
                                    params={"token": token})).json()
            assert state["acknowledged_by_device"] == "desk"
        finally:
            await listening.stop()


async def test_plain_text_image_and_custom_sound(server: Runner, base_url: str,
                                                 tmp_path: Path, bus: str) -> None:
    async with notification_service(bus, ["body", "actions"]) as service, \
            httpx.AsyncClient(timeout=10) as http:
        desk, listening, token, user = await _start(server, base_url, tmp_path, bus)
        sound = b"ID3\x04\x00" + bytes(range(256)) * 4
        (tmp_path / "bell.mp3").write_bytes(sound)
        await admin.add_sound(server.rt, token, "doorbell", str(tmp_path / "bell.mp3"))
        png = image_bytes("PNG", (20, 10))
        try:
            r = await http.post(f"{base_url}/1/messages.json", data={
                "token": token, "user": user, "html": "1", "sound": "doorbell",
                "message": '<i>a</i> &lt; b <a href="https://x.example">x</a>',
                "url": "tel:+15555550123"}, files={"attachment": ("p.png", png)})
            assert r.status_code == 200, r.text
            shown = await _next(service, 1, listening)
            # No body-markup capability: plain text, tags gone, entities read.
            assert shown.body == "a < b x\ntel:+15555550123"
            image = Path(urlparse(shown.hints["image-path"]).path)
            assert await asyncio.to_thread(image.read_bytes) == png
            await until(lambda: any(c.endswith("-doorbell.mp3") for c in desk.calls()),
                        "the application's own sound played")
            played = Path(next(c for c in desk.calls() if c.endswith(".mp3")).split()[-1])
            assert await asyncio.to_thread(played.read_bytes) == sound
        finally:
            await listening.stop()
