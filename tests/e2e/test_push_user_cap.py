"""Live device WebSockets per user are capped per api process
(OVERPUSH_MAX_CONNECTIONS_PER_USER; issue 14, item 2): a device beyond the cap is closed with
1013 (try again later) and no `E`, since its secret is good; the devices already connected keep
working, a device that reconnects is not counted twice, and a freed place can be taken."""

from __future__ import annotations

import httpx
import pytest
import websockets
from overpush.settings import Settings

from services.runner import Runner
from tests.factories import make_user, user_with_device

CAP = 2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.max_connections_per_user = CAP
    return settings


async def test_devices_beyond_the_cap_are_told_to_try_later(
        server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    account = await make_user(server.rt)
    first, second, third = [await user_with_device(server.rt, base_url, http, name=name,
                                                   account=account)
                            for name in ("desk", "laptop", "tablet")]
    await first.connect()
    await second.connect()
    # The same device again replaces its connection (A to the older one): not a new device.
    again = await websockets.connect(second.ws_url, compression=None)
    await again.send(f"login:{second.device_id}:{second.secret}\n")
    assert await again.recv() == b"!"
    assert await second.frame_other_than_keepalive() == b"A"

    over = await websockets.connect(third.ws_url, compression=None)
    await over.send(f"login:{third.device_id}:{third.secret}\n")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await over.recv()  # closed before any frame: no `E`, no `!`
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

    await again.ping()  # the connected devices keep working
    await first.ws.ping()  # type: ignore[union-attr]
    await first.close()
    # The place freed by the desk is the tablet's now.
    await third.connect()
    await again.close()
    await third.close()
