"""The receipts service: ticks the emergency timer, makes callbacks, purges old receipts.

Every loop takes "now" from rt.clock, so tests drive it with a FixedClock; each step is also
a plain function (ticker.tick, deliver.deliver_due, retention.purge) a test can call directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from overpush.clock import monotonic
from overpush.events import Event, ReceiptAcknowledged
from overpush.outbox import OutboxRelay
from overpush.runtime import Runtime
from overpush.sms import SmsProvider, provider_of
from prometheus_client import Histogram

from services.receipts import acked, deliver, retention, sms, ticker

log = logging.getLogger(__name__)
PURGE_EVERY = 60.0


class ReceiptsService:
    name = "receipts"

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._relay: OutboxRelay | None = None
        self._callbacks_due = asyncio.Event()
        self._last_purge = float("-inf")
        self._sms_provider: SmsProvider | None = None

    async def start(self, rt: Runtime) -> None:
        self.lateness = Histogram(
            "overpush_realert_lateness_seconds", "Seconds a re-alert left after its slot",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30), registry=rt.metrics.registry,
        )

        async def on_ack(event: Event) -> None:
            assert isinstance(event, ReceiptAcknowledged)
            self._callbacks_due.set()
            await acked.nudge_recipients(rt, event.receipt_id)

        self._sms_provider = provider_of(rt.settings)  # teams' unacknowledged emergencies
        await rt.bus.subscribe("receipts", [ReceiptAcknowledged], on_ack, concurrency=8)
        if not rt.settings.is_sqlite:
            # Re-alerts are staged in the outbox; publish them from here at once rather than
            # waiting for an api replica's sweep (replicas share the rows: SKIP LOCKED).
            self._relay = OutboxRelay(rt)
            self._relay.start()
        self._tasks = [
            asyncio.create_task(self._loop(rt, "ticker", self._tick), name="receipts-ticker"),
            asyncio.create_task(self._loop(rt, "callbacks", self._callbacks),
                                name="receipts-callbacks"),
            asyncio.create_task(self._loop(rt, "sms", self._sms), name="receipts-sms"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._relay is not None:
            await self._relay.stop()
            with contextlib.suppress(Exception):
                await self._relay.flush()

    async def _loop(self, rt: Runtime, what: str,
                    step: Callable[[Runtime], Awaitable[bool]]) -> None:
        while True:
            try:
                busy = await step(rt)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("receipts %s step failed; retrying", what, exc_info=True)
                busy = False
                await asyncio.sleep(1.0)
            if not busy:
                await self._idle(rt, what)

    async def _idle(self, rt: Runtime, what: str) -> None:
        interval = rt.settings.receipts_tick_interval
        if what in ("ticker", "sms"):
            await asyncio.sleep(interval if what == "ticker" else rt.settings.sms_tick_interval)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._callbacks_due.wait(), interval)
        self._callbacks_due.clear()

    async def _tick(self, rt: Runtime) -> bool:
        due = await ticker.tick(rt, observe=self.lateness.observe)
        if monotonic() - self._last_purge >= PURGE_EVERY:
            self._last_purge = monotonic()
            messages, receipts = await retention.purge(rt)
            if messages or receipts:
                log.info("purged %d messages and %d receipts", messages, receipts)
        return due >= ticker.BATCH  # a full batch: more may be due, go again at once

    async def _sms(self, rt: Runtime) -> bool:
        return await sms.tick(rt, self._sms_provider) >= sms.BATCH

    async def _callbacks(self, rt: Runtime) -> bool:
        return await deliver.deliver_due(rt) >= deliver.CLAIM
