"""The monitoring timers the receipts service runs: missed heartbeats and escalation levels
(issue 17). Each is a plain function over rt.clock, so tests call it directly."""

from __future__ import annotations

from overpush import escalation_timer, heartbeats
from overpush.runtime import Runtime


async def tick(rt: Runtime) -> bool:
    """One tick of both timers; True when either had a full batch due (go again at once)."""
    missed = await heartbeats.tick(rt)
    levels = await escalation_timer.tick(rt)
    return missed >= heartbeats.BATCH or levels >= escalation_timer.BATCH
