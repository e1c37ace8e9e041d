"""Deleting or disabling a device on the dashboard ends its open WebSocket with `E` at once,
wherever the connection is held, and the device cannot log in again while it is disabled
(issue 14, item 13; log-out and revocation: tests/services/test_client_logout.py). Both
backends: on the cluster the frame travels through RabbitMQ."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import websockets
from overpush.events import DevicesNudged
from overpush.models import Device
from sqlalchemy import select

from services.runner import Runner
from testkit.device import DesktopDevice
from tests.web.helpers import PASSWORD, VIEWER, Browser


async def _connected(server: Runner, base_url: str, name: str) -> tuple[DesktopDevice, int]:
    device = DesktopDevice(base_url, VIEWER, PASSWORD, name=name)
    async with httpx.AsyncClient(timeout=20) as http:
        await device.login(http)
        await device.register(http)
    await device.connect()
    async with server.rt.sessions() as session:
        row = await session.scalar(select(Device.id).where(Device.public_id == device.device_id))
    assert row is not None
    return device, row


@pytest.mark.parametrize("action", ["disable", "delete"])
async def test_the_socket_of_a_device_taken_away_gets_e_and_closes(
    signed_in: Browser, server: Runner, base_url: str, mail_dir: Path, action: str,
) -> None:
    gone, gone_row = await _connected(server, base_url, "laptop")
    kept, _ = await _connected(server, base_url, "desk")
    try:
        r = await signed_in.submit("/", f"/devices/{gone_row}/{action}", {})
        assert r.status_code == 303, r.text
        assert await gone.frame_other_than_keepalive() == b"E"
        with pytest.raises(websockets.ConnectionClosed):
            await gone.frame(timeout=10)
        # It cannot come back while it is disabled or gone: the log-in is answered `E`.
        with pytest.raises((AssertionError, websockets.ConnectionClosed)):
            await gone.connect()
        # The other device keeps its connection.
        await server.rt.bus.publish(DevicesNudged(device_ids=[kept.device_id]))
        assert await kept.frame_other_than_keepalive() == b"!"
    finally:
        await gone.close()
        await kept.close()
