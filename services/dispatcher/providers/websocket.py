"""Desktop devices: a nudge on the bus reaches whichever api instance holds the WebSocket."""

from __future__ import annotations

from collections.abc import Sequence

from overpush import platforms
from overpush.bus import Bus
from overpush.delivery.push import Outcome, Push
from overpush.events import DevicesNudged


class WebSocketProvider:
    name = platforms.WEBSOCKET.provider

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def send(self, pushes: Sequence[Push]) -> list[Outcome]:
        # One event for the whole batch: a group send to 1,000 devices is one bus message.
        # The message already waits in each device's queue, so a missed nudge only delays it
        # until the device reconnects and syncs.
        ids = sorted({p.target.public_id for p in pushes})
        if ids:
            await self._bus.publish(DevicesNudged(device_ids=ids))
        return [Outcome.DELIVERED] * len(pushes)

    async def close(self) -> None:
        pass  # holds nothing: the bus belongs to the runtime
