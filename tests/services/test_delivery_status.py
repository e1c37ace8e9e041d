"""Delivery status per device (issue 17 §6) on both backends with a fixed clock: one message
to a user with a WebSocket device and an iPhone behind a fake APNs; the request API (only to
the sending app); status callbacks signed with the app's secret and verified by a loopback
receiver, through a rotation (the old secret signs for 24 hours, then no more)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from overpush import status_callbacks
from overpush.clock import FixedClock, unix
from overpush.models import App, Delivery, DeviceStatus
from overpush.settings import Settings
from sqlalchemy import func, select

from testkit.device import DesktopDevice
from tests.callback_receiver import Receiver
from tests.checks import count, error_body
from tests.factories import PASSWORD, make_app, make_user
from tests.fakes.apns import HOST, FakeApns, p8_key
from tests.services.receipts_helpers import START, clocked_server, fast
from tests.waiting import until

IOS = "c3" * 32


@pytest.fixture
async def apns() -> AsyncIterator[FakeApns]:
    fake = FakeApns()
    await fake.start()
    yield fake
    await fake.stop()


def with_apns(settings: Settings, fake: FakeApns, tmp_path: Path) -> Settings:
    return fast(settings).model_copy(update={
        "apns_key": p8_key(), "apns_key_id": "ABC123DEFG", "apns_team_id": "TEAM123456",
        "apns_topic": "net.example.overpush", "apns_host": HOST, "apns_port": fake.port,
        "apns_ca_file": fake.ca_file(tmp_path), "mail_dir": str(tmp_path / "mail")})


def verified(receiver: Receiver, secret: str, now: int) -> list[dict[str, Any]]:
    """The callbacks whose signature checks with `secret`, as JSON."""
    return [json.loads(body) for headers, body in receiver.raw
            if status_callbacks.verify(headers["x-overpush-signature"], secret, body, now)]


@pytest.mark.timeout(120)
async def test_status_of_a_message_to_a_websocket_device_and_an_iphone(
        settings: Settings, apns: FakeApns, tmp_path: Path) -> None:
    clock = FixedClock(START)
    s = with_apns(settings, apns, tmp_path)
    base = s.base_url
    async with clocked_server(s, clock) as runner, \
            httpx.AsyncClient(base_url=base, timeout=10) as http, Receiver() as receiver:
        rt = runner.rt
        ann = await make_user(rt)
        laptop = DesktopDevice(base, ann.email, PASSWORD, name="laptop")
        await laptop.login(http)
        await laptop.register(http)
        await laptop.connect()
        r = await http.post("/1/devices.json", data={
            "secret": laptop.secret, "name": "iphone", "os": "I", "push_token": IOS})
        assert r.status_code == 200, r.text
        token, other = await make_app(rt, ann, "Backups"), await make_app(rt, ann, "Other")

        r = await http.post("/1/messages.json", data={
            "token": token, "user": ann.user_key, "message": "backup done",
            "status_callback": receiver.url})
        assert r.status_code == 200, r.text
        request = r.json()["request"]

        async def devices() -> dict[str, dict[str, Any]]:
            answer = await http.get(f"/1/requests/{request}.json", params={"token": token})
            if answer.status_code == 400:  # not dispatched yet (RabbitMQ carries the event)
                return {}
            assert answer.status_code == 200, answer.text
            [recipient] = answer.json()["recipients"]
            assert recipient["user"] == ann.user_key
            return {d["device"]: d for d in recipient["devices"]}

        await until(lambda: apns.for_token(IOS), "the push to fake APNs")
        now = unix(START)
        state: dict[str, dict[str, Any]] = {}

        async def settle(want: dict[str, str]) -> None:
            nonlocal state
            for _ in range(500):
                state = await devices()
                if {k: v["status"] for k, v in state.items()} == want:
                    return
                await asyncio.sleep(0.02)  # the dispatcher records the answer after it
            raise AssertionError(f"statuses {state} never became {want}")

        await settle({"iphone": "sent", "laptop": "queued"})
        assert state["iphone"]["sent_at"] == now and state["iphone"]["queued_at"] == now
        assert state["laptop"]["delivered_at"] == 0 and state["laptop"]["reason"] == ""

        clock.advance(5)
        [got] = await laptop.receive(http)
        assert got["message"] == "backup done"
        await settle({"iphone": "sent", "laptop": "delivered"})
        assert state["laptop"]["delivered_at"] == now + 5
        assert await count(rt, Delivery) == 1  # the laptop deleted its copy; status stays

        r = await http.get(f"/1/requests/{request}.json", params={"token": other})
        error_body(r, 400, ["request not found; it may be another application's, not "
                            "dispatched yet, or expired"])
        r = await http.get(f"/1/requests/{request}.xml", params={"token": token})
        assert r.status_code == 200 and "<status>delivered</status>" in r.text

        # Four changes, each POSTed once, signed with the application's secret.
        await receiver.wait(4)
        async with rt.sessions() as session:
            secret = await session.scalar(select(App.status_secret).where(App.token == token))
        assert secret is not None
        signed = verified(receiver, secret, unix(clock.now()))
        assert len(signed) == 4 == len(receiver.raw)
        assert sorted((e["device"], e["status"]) for e in signed) == [
            ("iphone", "queued"), ("iphone", "sent"), ("laptop", "delivered"),
            ("laptop", "queued")]
        assert {e["request"] for e in signed} == {request}
        assert not verified(receiver, secret, unix(clock.now()) + 3600)  # an old t is refused
        assert not verified(receiver, "whsec_" + "x" * 40, unix(clock.now()))

        # A rotation: the old secret keeps signing for 24 hours, then stops. APNs refuses
        # the next push: that device's status is "failed", with Apple's reason.
        app_id = await _app_id(rt, token)
        assert await status_callbacks.rotate_secret(rt, (await _owner(rt, app_id)), app_id)
        async with rt.sessions() as session:
            new = await session.scalar(select(App.status_secret).where(App.id == app_id))
        assert new is not None and new != secret
        apns.answer(IOS, (400, "BadDeviceToken"))
        receiver.raw.clear()
        receiver.received.clear()
        r = await http.post("/1/messages.json", data={
            "token": token, "user": ann.user_key, "message": "second",
            "status_callback": receiver.url})
        request = r.json()["request"]
        await settle({"iphone": "failed", "laptop": "queued"})
        assert "BadDeviceToken" in state["iphone"]["reason"]
        await receiver.wait(3)
        stamp = unix(clock.now())
        assert len(verified(receiver, new, stamp)) == 3 == len(verified(receiver, secret, stamp))
        clock.advance(24 * 3600 + 1)
        receiver.raw.clear()
        receiver.received.clear()
        await laptop.receive(http)
        await receiver.wait(1)
        stamp = unix(clock.now())
        assert len(verified(receiver, new, stamp)) == 1
        assert verified(receiver, secret, stamp) == []  # the old secret no longer signs
        async with rt.sessions() as session:
            rows = await session.scalar(select(func.count()).select_from(DeviceStatus))
        assert rows == 4
        await laptop.close()


async def _app_id(rt: Any, token: str) -> int:
    async with rt.sessions() as session:
        app_id = await session.scalar(select(App.id).where(App.token == token))
    assert app_id is not None
    return int(app_id)


async def _owner(rt: Any, app_id: int) -> int:
    async with rt.sessions() as session:
        owner = await session.scalar(select(App.owner_id).where(App.id == app_id))
    assert owner is not None
    return int(owner)


async def test_a_private_status_callback_is_refused(settings: Settings) -> None:
    s = settings.model_copy(update={"callback_allow_private": False})
    async with clocked_server(s, FixedClock(START)) as runner, \
            httpx.AsyncClient(base_url=s.base_url, timeout=10) as http:
        ann = await make_user(runner.rt)
        laptop = DesktopDevice(s.base_url, ann.email, PASSWORD, name="laptop")
        await laptop.login(http)
        await laptop.register(http)
        token = await make_app(runner.rt, ann)
        for url in ("http://127.0.0.1:9/hook", "ftp://example.com/x"):
            r = await http.post("/1/messages.json", data={
                "token": token, "user": ann.user_key, "message": "m", "status_callback": url})
            assert r.status_code == 400 and r.json()["status_callback"] == "invalid", r.text
