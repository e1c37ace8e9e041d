"""The receipts service: the acknowledgement consumer, and the loops of the timers that live
in the database: emergency re-alerts, receipt and status callbacks, team SMS, scheduled
messages, missed heartbeats and escalation levels.

Each step is a feature home's function over rt.clock (overpush.receipt_timer,
receipt_callbacks, status_callbacks, team_sms, scheduled_timer, heartbeats,
escalation_timer), so tests drive it with a FixedClock and call it directly; this module only
consumes and repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from overpush import (
    escalation_timer,
    heartbeats,
    presence,
    receipt_callbacks,
    receipt_timer,
    receipts,
    scheduled_timer,
    status_callbacks,
    team_sms,
)
from overpush.background import Repeat
from overpush.clock import monotonic
from overpush.events import Event, ReceiptAcknowledged
from overpush.outbox_relay import OutboxRelay
from overpush.runtime import Runtime
from overpush.sms import SmsProvider

log = logging.getLogger(__name__)
PURGE_EVERY = 60.0


class ReceiptsService:
    """`sms` (from the composition root) texts teams' unacknowledged emergencies; without
    one those alerts end as not configured."""

    name = "receipts"

    def __init__(self, sms_provider: SmsProvider | None = None) -> None:
        self._sms_provider = sms_provider
        self._loops: list[Repeat] = []
        self._relay: OutboxRelay | None = None
        self._callbacks_due = asyncio.Event()
        self._last_purge = float("-inf")

    async def start(self, rt: Runtime) -> None:
        async def on_ack(event: Event) -> None:
            assert isinstance(event, ReceiptAcknowledged)
            self._callbacks_due.set()
            await receipts.nudge_recipients(rt, event.receipt_id)

        await rt.bus.subscribe("receipts", [ReceiptAcknowledged], on_ack, concurrency=8)
        if not rt.settings.is_sqlite:
            # Re-alerts are staged in the outbox; publish them from here at once rather than
            # waiting for an api replica's sweep (replicas share the rows: SKIP LOCKED).
            self._relay = OutboxRelay(rt, partial(presence.publish, rt))
            self._relay.start()

        async def tick() -> bool:
            return await self._tick(rt)

        async def callbacks() -> bool:
            return await receipt_callbacks.deliver_due(rt) >= receipt_callbacks.CLAIM

        async def send_scheduled() -> bool:
            return await scheduled_timer.tick(rt) >= scheduled_timer.BATCH

        async def texts() -> bool:
            return await team_sms.tick(rt, self._sms_provider) >= team_sms.BATCH

        async def monitors() -> bool:
            # Issue 17: missed heartbeats and escalation levels; a full batch of either may
            # leave more due, so go again at once.
            missed = await heartbeats.tick(rt)
            levels = await escalation_timer.tick(rt)
            return missed >= heartbeats.BATCH or levels >= escalation_timer.BATCH

        async def status_posts() -> bool:
            return await status_callbacks.deliver_due(rt) >= status_callbacks.CLAIM

        async def callbacks_idle() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._callbacks_due.wait(),
                                       rt.settings.receipts_tick_interval)
            self._callbacks_due.clear()

        async def every_tick() -> None:
            await asyncio.sleep(rt.settings.receipts_tick_interval)

        self._loops = [
            Repeat("receipts-ticker", tick, every_tick),
            Repeat("receipts-callbacks", callbacks, callbacks_idle),
            Repeat("receipts-sms", texts, lambda: asyncio.sleep(rt.settings.sms_tick_interval)),
            Repeat("receipts-scheduled", send_scheduled, every_tick),
            Repeat("receipts-monitors", monitors, every_tick),
            Repeat("receipts-status-callbacks", status_posts, every_tick),
        ]
        for loop in self._loops:
            loop.start()

    async def stop(self) -> None:
        for loop in self._loops:
            await loop.stop()
        if self._relay is not None:
            await self._relay.stop()
            with contextlib.suppress(Exception):
                await self._relay.flush()

    async def _tick(self, rt: Runtime) -> bool:
        due = await receipt_timer.tick(rt, observe=rt.metrics.realert_lateness.observe)
        if monotonic() - self._last_purge >= PURGE_EVERY:
            self._last_purge = monotonic()
            messages, gone = await receipt_timer.purge(rt)
            await status_callbacks.purge(rt)
            if messages or gone:
                log.info("purged %d messages and %d receipts", messages, gone)
            await scheduled_timer.purge(rt)  # finished scheduled messages, closed dedup keys
        return due >= receipt_timer.BATCH  # a full batch: more may be due, go again at once
