"""An acknowledgement reaches the recipients' other desktop devices: each is nudged, and a
download after the acknowledgement shows the message `acked: 1`; on both backends."""

from __future__ import annotations

from typing import Any

import httpx
from overpush import receipts
from overpush.clock import FixedClock
from overpush.ids import device_id
from overpush.models import Device, Receipt, User
from overpush.settings import Settings
from sqlalchemy import select

from testkit.device import DesktopDevice
from tests.callback_receiver import Receiver
from tests.factories import make_app, make_user
from tests.services.receipts_helpers import START, clocked_server, fast


async def until_acked(dev: DesktopDevice, http: httpx.AsyncClient) -> dict[str, Any]:
    """Wait for '!' and download, until the emergency message shows acked (the nudge)."""
    while True:
        assert await dev.frame_other_than_keepalive() == b"!"
        if acked := [m for m in await dev.download(http) if m["acked"] == 1]:
            return acked[0]


async def test_acknowledgement_nudges_the_other_devices(settings: Settings) -> None:
    s = fast(settings)
    base = f"http://{s.http_host}:{s.http_port}"
    async with clocked_server(s, FixedClock(START)) as runner, \
            httpx.AsyncClient(timeout=10) as http:
        rt = runner.rt
        ann, bob = await make_user(rt), await make_user(rt)
        token = await make_app(rt, ann, "Pager")
        devices = [DesktopDevice(base, acc.email, acc.password, name=name)
                   for acc, name in ((ann, "laptop"), (ann, "desk"), (bob, "laptop"))]
        for dev in devices:
            await dev.login(http)
            await dev.register(http)
            await dev.connect()
        laptop, desk, bobs = devices

        r = await http.post(f"{base}/1/messages.json", data={
            "token": token, "user": f"{ann.user_key},{bob.user_key}", "message": "db down",
            "priority": "2", "retry": "60", "expire": "3600",
        })
        assert r.status_code == 200, r.text
        receipt = r.json()["receipt"]
        for dev in devices:
            assert await dev.frame_other_than_keepalive() == b"!"
        [m] = await laptop.download(http)
        assert (m["receipt"], m["acked"]) == (receipt, 0)
        # When repetition ends (50 re-alerts of 60 s come before expire's 3600 s), for a
        # client to drop its Acknowledge button then.
        assert m["receipt_expires_at"] == m["date"] + 50 * 60
        assert len(await bobs.sync(http)) == 1  # Bob's laptop shows it and deletes its copy

        r = await http.post(f"{base}/1/receipts/{receipt}/acknowledge.json",
                            data={"secret": laptop.secret, "device_id": laptop.device_id})
        assert r.status_code == 200, r.text
        # Ann's desk never downloaded: nudged, it finds the message already acknowledged.
        seen = await until_acked(desk, http)
        assert (seen["receipt"], seen["message"]) == (receipt, "db down")
        assert (await until_acked(laptop, http))["umid"] == m["umid"]
        # Bob's laptop is nudged too; its copy is gone, so a client drops the alert it shows.
        assert await bobs.frame_other_than_keepalive() == b"!"
        assert await bobs.download(http) == []
        for dev in devices:
            await dev.close()

        # Who is nudged: the recipients' enabled desktop devices, never a phone.
        async with rt.sessions() as session, session.begin():
            rid = await session.scalar(select(Receipt.id).where(Receipt.receipt == receipt))
            uid = await session.scalar(select(User.id).where(User.user_key == ann.user_key))
            assert rid is not None and uid is not None
            session.add(Device(public_id=device_id(), user_id=uid, name="phone", os="I",
                               push_token="t" * 64, enabled=True, created_at=START))
        stranger = await make_user(rt)  # a desktop device of someone not a recipient
        other = DesktopDevice(base, stranger.email, stranger.password)
        await other.login(http)
        await other.register(http)
        assert await receipts.nudge_recipients(rt, rid) == sorted(d.device_id for d in devices)


async def test_the_callback_names_the_device_of_a_secret_among_several(
        settings: Settings) -> None:
    """Issue 17 §1: a user with several devices acknowledges with the secret alone (as
    Pushover's clients do); the receipt and the callback both name that device."""
    s = fast(settings)
    base = f"http://{s.http_host}:{s.http_port}"
    async with clocked_server(s, FixedClock(START)) as runner, Receiver() as receiver, \
            httpx.AsyncClient(timeout=10) as http:
        rt = runner.rt
        ann = await make_user(rt)
        token = await make_app(rt, ann, "Pager")
        laptop, desk = (DesktopDevice(base, ann.email, ann.password, name=name)
                        for name in ("laptop", "desk"))
        for dev in (laptop, desk):
            await dev.login(http)
            await dev.register(http)
        r = await http.post(f"{base}/1/messages.json", data={
            "token": token, "user": ann.user_key, "message": "db down", "priority": "2",
            "retry": "60", "expire": "3600", "callback": receiver.url})
        assert r.status_code == 200, r.text
        receipt = r.json()["receipt"]
        r = await http.post(f"{base}/1/receipts/{receipt}/acknowledge.json",
                            data={"secret": desk.secret})
        assert r.status_code == 200, r.text
        [hook] = await receiver.wait(1)
        assert (hook["acknowledged_by"], hook["acknowledged_by_device"]) == (
            ann.user_key, "desk")
        poll = (await http.get(f"{base}/1/receipts/{receipt}.json",
                               params={"token": token})).json()
        assert poll["acknowledged_by_device"] == "desk"
