"""The receipts service: ticks the emergency timer, makes callbacks, purges old receipts,
and runs the timers of heartbeats and escalations (services/receipts/monitors.py).

Every loop takes "now" from rt.clock, so tests drive it with a FixedClock; each step is also
a plain function (ticker.tick, deliver.deliver_due, retention.purge) a test can call directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial

from overpush import presence
from overpush.background import Repeat
from overpush.clock import monotonic
from overpush.events import Event, ReceiptAcknowledged
from overpush.outbox import OutboxRelay
from overpush.runtime import Runtime
from overpush.sms import SmsProvider

from services.receipts import (
    acked,
    deliver,
    monitors,
    retention,
    scheduled,
    sms,
    status_callbacks,
    ticker,
)

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
            await acked.nudge_recipients(rt, event.receipt_id)

        await rt.bus.subscribe("receipts", [ReceiptAcknowledged], on_ack, concurrency=8)
        if not rt.settings.is_sqlite:
            # Re-alerts are staged in the outbox; publish them from here at once rather than
            # waiting for an api replica's sweep (replicas share the rows: SKIP LOCKED).
            self._relay = OutboxRelay(rt, partial(presence.publish, rt))
            self._relay.start()

        async def tick() -> bool:
            return await self._tick(rt)

        async def callbacks() -> bool:
            return await deliver.deliver_due(rt) >= deliver.CLAIM

        async def send_scheduled() -> bool:
            return await scheduled.tick(rt) >= scheduled.BATCH

        async def texts() -> bool:
            return await sms.tick(rt, self._sms_provider) >= sms.BATCH

        async def callbacks_idle() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._callbacks_due.wait(),
                                       rt.settings.receipts_tick_interval)
            self._callbacks_due.clear()

        self._loops = [
            Repeat("receipts-ticker", tick,
                   lambda: asyncio.sleep(rt.settings.receipts_tick_interval)),
            Repeat("receipts-callbacks", callbacks, callbacks_idle),
            Repeat("receipts-sms", texts, lambda: asyncio.sleep(rt.settings.sms_tick_interval)),
            Repeat("receipts-scheduled", send_scheduled,
                   lambda: asyncio.sleep(rt.settings.receipts_tick_interval)),
            # Issue 17: missed heartbeats and escalation levels, on the emergency tick.
            Repeat("receipts-monitors", lambda: monitors.tick(rt),
                   lambda: asyncio.sleep(rt.settings.receipts_tick_interval)),
            Repeat("receipts-status-callbacks", lambda: status_callbacks.deliver_due_more(rt),
                   lambda: asyncio.sleep(rt.settings.receipts_tick_interval)),
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
        due = await ticker.tick(rt, observe=rt.metrics.realert_lateness.observe)
        if monotonic() - self._last_purge >= PURGE_EVERY:
            self._last_purge = monotonic()
            messages, receipts = await retention.purge(rt)
            await status_callbacks.purge(rt)
            if messages or receipts:
                log.info("purged %d messages and %d receipts", messages, receipts)
            await scheduled.purge(rt)  # finished scheduled messages, closed dedup keys
        return due >= ticker.BATCH  # a full batch: more may be due, go again at once
