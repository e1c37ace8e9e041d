"""WebSocket /push refuses a bad log-in with b"E" and closes (spec §9.1)."""

from __future__ import annotations

import pytest
import websockets
from overpush.settings import Settings

from services.runner import Runner


@pytest.mark.parametrize("frame", ["login:nodevice:nosecret\n", "hello\n"])
async def test_bad_login_gets_E_and_close(server: Runner, settings: Settings, frame: str) -> None:
    url = f"ws://{settings.http_host}:{settings.http_port}/push"
    async with websockets.connect(url, compression=None) as ws:
        await ws.send(frame)
        assert await ws.recv() == b"E"
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
