"""One event sends any frame to a device wherever its WebSocket is held, and can close it."""

from __future__ import annotations

import httpx
import pytest
import websockets
from overpush.events import DevicesNudged

from services.runner import Runner
from tests.factories import user_with_device


async def test_a_frame_with_close_ends_the_connection(
    server: Runner, base_url: str, http: httpx.AsyncClient
) -> None:
    dev = await user_with_device(server.rt, base_url, http, connect=True)
    other = await user_with_device(server.rt, base_url, http, connect=True)
    try:
        await server.rt.bus.publish(
            DevicesNudged(device_ids=[dev.device_id], frame="E", close=True))
        assert await dev.frame_other_than_keepalive() == b"E"
        assert dev.ws is not None
        with pytest.raises(websockets.ConnectionClosed):
            await dev.frame(timeout=5)
        # Another device's connection is untouched and still hears its nudges.
        await server.rt.bus.publish(DevicesNudged(device_ids=[other.device_id]))
        assert await other.frame_other_than_keepalive() == b"!"
    finally:
        await dev.close()
        await other.close()
