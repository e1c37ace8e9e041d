"""End to end on both backends: one user with an iPhone, an Android phone and a desktop;
messages reach fake Apple and Google servers over real sockets, and their answers (gone,
server error) disable, retry and re-enable devices as the product description says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from overpush.models import Delivery, Device
from overpush.settings import Settings
from sqlalchemy import select

from services.runner import Runner
from testkit.device import DesktopDevice
from testkit.servers import running
from tests.factories import PASSWORD, make_app, make_user
from tests.fakes.apns import HOST, FakeApns, p8_key
from tests.fakes.fcm import FakeFcm
from tests.waiting import until

IOS, IOS_NEW = "a1" * 32, "b2" * 32
ANDROID = "android-token:APA91b" + "z" * 40


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeApns, FakeFcm]]:
    apns, fcm = FakeApns(), FakeFcm()
    await apns.start()
    await fcm.start()
    yield apns, fcm
    await fcm.stop()
    await apns.stop()


@pytest.fixture
async def phone_server(settings: Settings, fakes: tuple[FakeApns, FakeFcm],
                       tmp_path: Path) -> AsyncIterator[Runner]:
    apns, fcm = fakes
    s = settings.model_copy(update={
        "apns_key": p8_key(), "apns_key_id": "ABC123DEFG", "apns_team_id": "TEAM123456",
        "apns_topic": "net.example.overpush", "apns_host": HOST, "apns_port": apns.port,
        "apns_ca_file": apns.ca_file(tmp_path), "fcm_credentials": fcm.credentials(),
        "fcm_endpoint": fcm.base_url, "mail_dir": str(tmp_path / "mail"),
        "push_retry_base": 0.2, "push_retry_interval": 0.2,
    })
    async with running(s) as runner:
        yield runner


@pytest.mark.timeout(90)
async def test_one_user_three_platforms(phone_server: Runner, fakes: tuple[FakeApns, FakeFcm],
                                        base_url: str, tmp_path: Path) -> None:
    apns, fcm = fakes
    rt = phone_server.rt
    ann = await make_user(rt, "ann@example.com")
    token = await make_app(rt, ann, "Backups")
    desktop = DesktopDevice(base_url, ann.email, PASSWORD, name="laptop")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        await desktop.login(http)
        await desktop.register(http)
        await desktop.connect()
        secret = desktop.secret
        ids = {}
        for name, os, push_token in (("iphone", "I", IOS), ("pixel", "A", ANDROID)):
            r = await http.post("/1/devices.json", data={
                "secret": secret, "name": name, "os": os, "push_token": push_token})
            assert r.status_code == 200, r.text
            ids[name] = r.json()["id"]

        async def send(text: str, **extra: str) -> None:
            r = await http.post("/1/messages.json", data={
                "token": token, "user": ann.user_key, "message": text, **extra})
            assert r.status_code == 200, r.text

        # 1. Everyone gets the first message: the desktop a nudge, the phones a push.
        await send("Backup finished", title="SQL1", sound="bike", priority="1")
        assert await desktop.frame_other_than_keepalive() == b"!"
        (a,) = await until(lambda: apns.for_token(IOS))
        assert a.payload["aps"]["alert"] == {"title": "SQL1", "body": "Backup finished"}
        assert a.payload["aps"]["sound"] == "bike.caf"
        assert a.payload["aps"]["interruption-level"] == "time-sensitive"
        assert a.headers["apns-priority"] == "10"
        (f,) = await until(lambda: fcm.for_token(ANDROID))
        assert f.message["data"]["message"] == "Backup finished"
        assert f.message["android"]["priority"] == "HIGH"
        assert (await desktop.sync(http))[0]["message"] == "Backup finished"

        # 2. Apple says the iPhone is gone; Google fails once and is retried.
        apns.answer(IOS, (410, "Unregistered"))
        fcm.answer(ANDROID, (500, "INTERNAL", None))
        await send("Disk almost full")
        await until(lambda: len(fcm.for_token(ANDROID)) == 3)  # the 500, then the retry
        assert fcm.for_token(ANDROID)[2].message["data"]["message"] == "Disk almost full"
        mail_dir = tmp_path / "mail"
        (mail,) = await until(lambda: list(mail_dir.glob("*.eml")) if mail_dir.exists() else [])
        text = mail.read_text()
        assert "To: ann@example.com" in text and '"iphone" has been disabled' in text
        async with rt.sessions() as session:
            iphone = await session.scalar(select(Device).where(Device.name == "iphone"))
            assert iphone is not None and not iphone.enabled
            assert iphone.disabled_reason == "Unregistered"

        async def retries_pending() -> int:
            async with rt.sessions() as session:
                return len((await session.scalars(
                    select(Delivery).where(Delivery.push_retry_at.is_not(None)))).all())

        # The fake saw the retry before the dispatcher recorded its answer: wait for that.
        for _ in range(300):
            if not await retries_pending():
                break
            await asyncio.sleep(0.05)
        assert await retries_pending() == 0

        # 3. No more queueing for the disabled iPhone; the others go on.
        before = len(apns.received)
        await send("Third")
        await until(lambda: len(fcm.for_token(ANDROID)) == 4)
        r = await http.get("/1/messages.json", params={"secret": secret,
                                                        "device_id": ids["iphone"]})
        assert [m["message"] for m in r.json()["messages"]] == [
            "Backup finished", "Disk almost full"]
        assert len(apns.received) == before

        # 4. Registering again (the reinstalled app) re-enables it with its new token.
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "iphone", "os": "I", "push_token": IOS_NEW})
        assert r.json()["id"] == ids["iphone"]
        await send("Welcome back", priority="-1")
        (back,) = await until(lambda: apns.for_token(IOS_NEW))
        assert back.payload["aps"]["alert"]["body"] == "Welcome back"
        assert "sound" not in back.payload["aps"] and back.headers["apns-priority"] == "5"
        await desktop.close()


@pytest.mark.timeout(60)
async def test_encrypted_android(phone_server: Runner, fakes: tuple[FakeApns, FakeFcm],
                                 base_url: str) -> None:
    import json

    from overpush.crypto import open_sealed

    _, fcm = fakes
    bo = await make_user(phone_server.rt, "bo@example.com")
    token = await make_app(phone_server.rt, bo, "Vault")
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        r = await http.post("/1/users/login.json", data={"email": bo.email,
                                                         "password": PASSWORD})
        secret = r.json()["secret"]
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "pixel", "os": "A", "push_token": ANDROID,
            "encrypted": "1"})
        device, key = r.json()["id"], r.json()["encryption_key"]
        r = await http.post("/1/messages.json", data={
            "token": token, "user": bo.user_key, "message": "code 424242", "title": "2FA"})
        assert r.status_code == 200
        (req,) = await until(lambda: fcm.for_token(ANDROID))
        data = req.message["data"]
        assert "424242" not in json.dumps(req.message) and "message" not in data
        clear = json.loads(open_sealed(key, data["enc"], device.encode()))
        assert clear == {"title": "2FA", "message": "code 424242"}
        # The device's own authenticated download is plain text.
        r = await http.get("/1/messages.json", params={"secret": secret, "device_id": device})
        assert r.json()["messages"][0]["message"] == "code 424242"


@pytest.mark.timeout(60)
async def test_quiet_hours_and_default_sound(phone_server: Runner,
                                             fakes: tuple[FakeApns, FakeFcm],
                                             base_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    apns, fcm = fakes
    cy = await make_user(phone_server.rt, "cy@example.com")
    token = await make_app(phone_server.rt, cy, "Alarms")
    now = datetime.now(UTC)
    # A two-hour window around now, in the user's zone: now is surely inside it.
    start, end = ((now + timedelta(hours=h)).strftime("%H:%M") for h in (-1, 1))
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        r = await http.post("/1/users/login.json", data={"email": cy.email,
                                                         "password": PASSWORD})
        secret = r.json()["secret"]
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "iphone", "os": "I", "push_token": IOS})
        r = await http.post("/1/devices.json", data={
            "secret": secret, "name": "pixel", "os": "A", "push_token": ANDROID})
        pixel = r.json()["id"]
        r = await http.post("/1/users/settings.json", data={
            "secret": secret, "quiet_start": start, "quiet_end": end, "timezone": "UTC",
            "default_sound": "cosmic"})
        assert r.status_code == 200, r.text
        r = await http.post(f"/1/devices/{pixel}/settings.json", data={
            "secret": secret, "always_use_default_sound": "1"})
        assert r.status_code == 200, r.text

        for text, priority in (("quiet one", "0"), ("loud one", "1")):
            r = await http.post("/1/messages.json", data={
                "token": token, "user": cy.user_key, "message": text, "priority": priority,
                "sound": "siren"})
            assert r.status_code == 200, r.text
        pushed = await until(lambda: _two(apns.for_token(IOS)))
        quiet, loud = sorted(pushed, key=lambda q: q.payload["aps"]["alert"]["body"], reverse=True)
        assert "sound" not in quiet.payload["aps"] and quiet.headers["apns-priority"] == "5"
        assert quiet.payload["aps"]["interruption-level"] == "passive"
        assert loud.payload["aps"]["sound"] == "siren.caf"  # high priority bypasses quiet hours
        android = await until(lambda: _two(fcm.for_token(ANDROID)))
        sounds = {f.message["data"]["message"]: f.message["data"]["sound"] for f in android}
        assert sounds == {"quiet one": "", "loud one": "cosmic"}  # the device's default wins


def _two(items: list[Any]) -> list[Any] | None:
    return items if len(items) == 2 else None
