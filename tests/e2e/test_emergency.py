"""Emergency priority end to end on both backends: send, re-alert as the clock moves,
acknowledge on a device, repetition stops, the callback reaches a real HTTP receiver."""

from __future__ import annotations

import httpx
from overpush import receipt_timer
from overpush.clock import FixedClock
from overpush.models import Receipt
from overpush.settings import Settings
from sqlalchemy import select

from testkit.device import DesktopDevice
from tests.callback_receiver import Receiver
from tests.factories import make_app, make_user
from tests.services.receipts_helpers import START, clocked_server, fast


async def test_emergency_repeats_until_acknowledged(settings: Settings) -> None:
    clock = FixedClock(START)
    s = fast(settings)
    base = f"http://{s.http_host}:{s.http_port}"
    async with clocked_server(s, clock) as runner, Receiver() as receiver, \
            httpx.AsyncClient(timeout=10) as http:
        rt = runner.rt
        ann = await make_user(rt)
        token = await make_app(rt, ann, "Pager")
        device = DesktopDevice(base, ann.email, ann.password, name="laptop")
        await device.login(http)
        await device.register(http)
        await device.connect()

        r = await http.post(f"{base}/1/messages.json", data={
            "token": token, "user": ann.user_key, "message": "db1 is down", "priority": "2",
            "retry": "30", "expire": "3600", "ttl": "5", "callback": receiver.url,
            "tags": "db,prod",
        })
        assert r.status_code == 200, r.text
        receipt = r.json()["receipt"]
        assert len(receipt) == 30 and receipt.isalnum()

        assert await device.frame_other_than_keepalive() == b"!"
        [first] = await device.sync(http)
        assert (first["priority"], first["receipt"], first["acked"]) == (2, receipt, 0)

        poll = (await http.get(f"{base}/1/receipts/{receipt}.json",
                               params={"token": token})).json()
        assert poll["acknowledged"] == 0 and poll["expired"] == 0
        assert poll["expires_at"] == int(START.timestamp()) + 1500  # 50 x retry < expire
        assert poll["last_delivered_at"] == int(START.timestamp())

        # 30 s later the device is alerted again; its copy was deleted, so it is queued anew.
        clock.advance(30)
        # Delivery is at least once: a '!' may repeat the first alert's (its event handed to
        # the relay at commit and seen again by a sweep), so wait for the copy, not a '!'.
        again = await device.download_until(http, 1)
        assert [m["umid"] for m in again] == [first["umid"]]
        poll = (await http.get(f"{base}/1/receipts/{receipt}.json",
                               params={"token": token})).json()
        assert poll["last_delivered_at"] == int(START.timestamp()) + 30

        r = await http.post(f"{base}/1/receipts/{receipt}/acknowledge.json",
                            data={"secret": device.secret, "device_id": device.device_id})
        assert r.status_code == 200 and r.json()["status"] == 1, r.text
        [hook] = await receiver.wait(1)
        assert hook["_path"] == "/hooks/ack?source=overpush"
        assert hook["_type"] == "application/x-www-form-urlencoded"
        assert hook["receipt"] == receipt and hook["acknowledged"] == "1"
        assert hook["acknowledged_by"] == ann.user_key
        assert hook["acknowledged_by_device"] == "laptop"
        assert hook["acknowledged_at"] == str(int(START.timestamp()) + 30)

        # The device's copy now says acknowledged; the first acknowledgement stands.
        [copy] = await device.download(http)
        assert (copy["acked"], copy["receipt"]) == (1, receipt)
        await device.delete_up_to(http, copy["id"])

        # Time goes on, and nothing repeats any more.
        for _ in range(3):
            clock.advance(30)
            await receipt_timer.tick(rt)
        async with rt.sessions() as session:
            row = await session.scalar(select(Receipt).where(Receipt.receipt == receipt))
        assert row is not None and row.attempts == 1 and row.next_attempt_at is None
        r = await http.post(f"{base}/1/messages.json", data={
            "token": token, "user": ann.user_key, "message": "marker"})
        assert r.status_code == 200
        while True:
            assert await device.frame_other_than_keepalive() == b"!"
            got = await device.download(http)
            if got:
                break
        assert [m["message"] for m in got] == ["marker"]

        poll = (await http.get(f"{base}/1/receipts/{receipt}.json",
                               params={"token": token})).json()
        assert poll["acknowledged"] == 1 and poll["acknowledged_by"] == ann.user_key
        assert poll["acknowledged_by_device"] == "laptop"
        assert poll["acknowledged_at"] == int(START.timestamp()) + 30
        assert poll["called_back"] == 1 and poll["called_back_at"] > 0
        assert poll["expired"] == 0
        assert receiver.answered == [200]
        await device.close()


async def test_callback_to_loopback_refused_without_the_operator_setting(
        settings: Settings) -> None:
    clock = FixedClock(START)
    s = settings.model_copy(update={"receipts_tick_interval": 0.02})
    base = f"http://{s.http_host}:{s.http_port}"
    async with clocked_server(s, clock) as runner, httpx.AsyncClient(timeout=10) as http:
        ann = await make_user(runner.rt)
        token = await make_app(runner.rt, ann)
        for url in ("http://127.0.0.1:9/cb", "http://localhost/cb", "http://10.0.0.1/",
                    "http://[::1]/cb", "http://169.254.169.254/latest/meta-data"):
            r = await http.post(f"{base}/1/messages.json", data={
                "token": token, "user": ann.user_key, "message": "x", "priority": "2",
                "retry": "30", "expire": "60", "callback": url,
            })
            assert r.status_code == 400, (url, r.text)
            assert r.json()["callback"] == "invalid" and r.json()["status"] == 0
        async with runner.rt.sessions() as session:
            assert await session.scalar(select(Receipt.id)) is None  # nothing was committed
