"""Emergency priority through the published clients, unchanged but for the base URL:
pushover-complete's send_message(priority=2), check_receipt and cancel_receipt (its 2.0.0 has
no cancel-by-tag call), and apprise's `priority=emergency` with its interval and expire; a
device acknowledges in between, as the Open Client API does it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pushover_complete import PushoverAPI
from pushover_complete.error import BadAPIRequestError

from services.runner import Runner
from testkit.device import DesktopDevice
from tests.factories import make_app, make_user, user_with_device

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


async def acknowledge(http: httpx.AsyncClient, base_url: str, dev: DesktopDevice,
                      receipt: str) -> None:
    r = await http.post(f"{base_url}/1/receipts/{receipt}/acknowledge.json",
                        data={"secret": dev.secret, "device_id": dev.device_id})
    assert r.status_code == 200, r.text


@pytest.mark.timeout(180)
async def test_pushover_complete_receipts(server: Runner, base_url: str,
                                          pushover_complete: type[PushoverAPI]) -> None:
    rt = server.rt
    api = pushover_complete(await make_app(rt, await make_user(rt), name="Pager"))

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return asyncio.to_thread(fn, *args, **kwargs)

    async with httpx.AsyncClient(timeout=10) as http:
        laptop = await user_with_device(rt, base_url, http, name="laptop", connect=True)
        sent = await call(api.send_message, laptop.user_key, "db1 is down", priority=2,
                          retry=60, expire=3600)
        receipt = sent["receipt"]
        assert sent["status"] == 1 and len(receipt) == 30
        [m] = await laptop.receive(http)
        assert (m["message"], m["priority"], m["receipt"], m["acked"]) == (
            "db1 is down", 2, receipt, 0)

        polled = await call(api.check_receipt, receipt)
        assert (polled["status"], polled["acknowledged"], polled["expired"]) == (1, 0, 0)
        assert polled["expires_at"] > time.time()
        await acknowledge(http, base_url, laptop, receipt)
        polled = await call(api.check_receipt, receipt)
        assert polled["acknowledged"] == 1 and polled["acknowledged_at"] > 0
        assert (polled["acknowledged_by"], polled["acknowledged_by_device"]) == (
            laptop.user_key, "laptop")

        # Cancelled before anyone acknowledged: it stops, and reads as expired.
        sent = await call(api.send_message, laptop.user_key, "disk full", priority=2,
                          retry=60, expire=3600)
        assert (await call(api.cancel_receipt, sent["receipt"]))["status"] == 1
        polled = await call(api.check_receipt, sent["receipt"])
        assert (polled["acknowledged"], polled["expired"]) == (0, 1)

        with pytest.raises(BadAPIRequestError, match="receipt not found"):
            await call(api.check_receipt, "r" * 30)
        with pytest.raises(BadAPIRequestError, match="retry"):
            await call(api.send_message, laptop.user_key, "no retry", priority=2)
        await laptop.close()


@pytest.mark.timeout(180)
async def test_apprise_emergency(server: Runner, base_url: str,
                                 apprise_send: Callable[..., bool]) -> None:
    rt = server.rt
    token = await make_app(rt, await make_user(rt), name="Monitor")
    async with httpx.AsyncClient(timeout=10) as http:
        laptop = await user_with_device(rt, base_url, http, name="laptop", connect=True)
        url = f"pover://{laptop.user_key}@{token}?priority=emergency&interval=120&expire=600"
        before = int(time.time())
        assert await asyncio.to_thread(apprise_send, url, f"{base_url}/1/messages.json",
                                       body="UPS on battery", title="Power")
        [m] = await laptop.receive(http)
        assert (m["message"], m["title"], m["priority"], m["acked"]) == (
            "UPS on battery", "Power", 2, 0)
        receipt = m["receipt"]  # apprise drops the response; the device's copy carries it

        r = await http.get(f"{base_url}/1/receipts/{receipt}.json", params={"token": token})
        polled = r.json()
        assert r.status_code == 200 and polled["acknowledged"] == 0
        # apprise's expire (600 s) reached us: a retry of 120 s fits it five times.
        assert before + 600 <= polled["expires_at"] <= int(time.time()) + 600
        await acknowledge(http, base_url, laptop, receipt)
        polled = (await http.get(f"{base_url}/1/receipts/{receipt}.json",
                                 params={"token": token})).json()
        assert polled["acknowledged"] == 1 and polled["acknowledged_by_device"] == "laptop"
        await laptop.close()
