"""Desktop devices: a nudge on the bus reaches the api instance that holds the WebSocket."""

from __future__ import annotations

from collections.abc import Sequence

from overpush import platforms, presence
from overpush.delivery.push import Outcome, Push
from overpush.runtime import Runtime


class WebSocketProvider:
    name = platforms.WEBSOCKET.provider

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def send(self, pushes: Sequence[Push]) -> list[Outcome]:
        # One event per holding api instance for the whole batch: a group send to 1,000
        # devices is a bus message per instance. It runs after the queue rows committed (the
        # presence rule needs that), and the message already waits in each device's queue,
        # so a missed nudge only delays it until the device reconnects and syncs.
        await presence.nudge(self._rt, [p.target.public_id for p in pushes])
        return [Outcome.DELIVERED] * len(pushes)

    async def close(self) -> None:
        pass  # holds nothing: the bus belongs to the runtime
