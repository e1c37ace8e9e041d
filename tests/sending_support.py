"""Helpers for the Sending API tests: users with a registered desktop device, test images."""

from __future__ import annotations

import io
from typing import Any

import httpx
from overpush.runtime import Runtime
from PIL import Image

from tests.clients import DesktopDevice
from tests.factories import Account, make_user


async def user_with_device(rt: Runtime, base_url: str, http: httpx.AsyncClient,
                           name: str = "desktop", connect: bool = False,
                           account: Account | None = None) -> DesktopDevice:
    account = account or await make_user(rt)
    device = DesktopDevice(base_url, account.email, account.password, name=name)
    await device.login(http)
    await device.register(http)
    if connect:
        await device.connect()
    return device


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 6)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


async def receive(dev: DesktopDevice, http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Wait for '!' frames until a download brings something new; delete what came.
    (An earlier send's nudge may arrive after its messages were already synced.)"""
    while True:
        assert await dev.frame_other_than_keepalive() == b"!"
        # Not dev.sync(): SQLite reuses the ids of deleted messages, so its umid dedupe
        # would hide a new message that got a deleted one's id.
        if messages := await dev.download(http):
            for m in messages:  # as a client must: fetch attachments before deleting
                if "attachment" in m:
                    r = await http.get(m["attachment"], params={
                        "secret": dev.secret, "device_id": dev.device_id})
                    assert r.status_code == 200, r.text
                    m["attachment_bytes"] = r.content
            await dev.delete_up_to(http, max(m["id"] for m in messages))
            return messages
