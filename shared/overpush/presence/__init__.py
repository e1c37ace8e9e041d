"""Presence: which api instance holds which device's WebSocket, so that a device frame
(DevicesNudged: `!`, `E`, `A`, `R`) is published to that instance's queue alone instead of
to every api instance. `routing` decides where a frame goes; `record` is an instance's own
rows (written on log-in, removed on close, renewed by a heartbeat, swept when it lapses).

With the in-process bus there is one api instance, which holds every connection: nothing is
recorded or looked up, and frames are published as they are.
"""

from overpush.presence.record import Record
from overpush.presence.routing import nudge, publish, routed

__all__ = ["Record", "nudge", "publish", "routed"]
