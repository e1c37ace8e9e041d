"""WebSocket /push refuses a bad log-in with b"E" and closes (spec §9.1)."""

from __future__ import annotations

import httpx
import pytest
import websockets
from overpush.settings import Settings

from services.runner import Runner
from tests.factories import user_with_device


@pytest.mark.parametrize("frame", ["login:nodevice:nosecret\n", "hello\n"])
async def test_bad_login_gets_E_and_close(server: Runner, settings: Settings, frame: str) -> None:
    url = f"ws://{settings.http_host}:{settings.http_port}/push"
    async with websockets.connect(url, compression=None) as ws:
        await ws.send(frame)
        assert await ws.recv() == b"E"
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()


async def test_second_login_of_a_device_ends_the_first_with_A(
        server: Runner, settings: Settings, base_url: str, http: httpx.AsyncClient) -> None:
    """One connection per device: the newer log-in wins, the older one hears `A` (opened
    elsewhere) and is closed; the newer one keeps its connection and its nudges."""
    first = await user_with_device(server.rt, base_url, http, connect=True)  # got its '!'
    url = f"ws://{settings.http_host}:{settings.http_port}/push"
    async with websockets.connect(url, compression=None) as second:
        await second.send(f"login:{first.device_id}:{first.secret}\n")
        assert await second.recv() == b"!"
        assert await first.frame_other_than_keepalive() == b"A"
        with pytest.raises(websockets.ConnectionClosed):
            await first.frame()
        await second.ping()  # still open
    await first.close()
