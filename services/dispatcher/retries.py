"""The retry loop: due phone pushes are claimed (overpush.delivery.retries), sent again and
their outcomes recorded; between passes, the owners of newly disabled devices are mailed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from overpush.background import Repeat
from overpush.clock import monotonic
from overpush.delivery import outcomes, pushes, retries
from overpush.delivery.push import Push, Result
from overpush.mailer import Mailer
from overpush.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 100
NOTICE_BACKOFF = 60  # seconds between mail attempts while the relay fails
Send = Callable[[Sequence[Push]], Awaitable[list[tuple[Push, Result]]]]


class RetryLoop(Repeat):
    """Waits for `wakeup` (or push_retry_interval), then sends every due retry."""

    def __init__(self, rt: Runtime, send: Send, mailer: Mailer) -> None:
        super().__init__("push-retries", self._pass, self._idle, pause=0.0, idle_first=True)
        self._rt, self._send, self._mailer = rt, send, mailer
        self.wakeup = asyncio.Event()
        self._notices_after = 0.0

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wakeup.wait(), self._rt.settings.push_retry_interval)
        self.wakeup.clear()

    async def _pass(self) -> bool:
        try:
            while await self.tick() == BATCH:
                pass
        except Exception:  # the database may be briefly away; the next tick tries again
            log.exception("push retry tick failed")
        if monotonic() >= self._notices_after:
            try:
                await outcomes.send_notices(self._rt, self._mailer)
            except Exception:
                log.exception("could not send device-disabled mail; trying again in %d s",
                              NOTICE_BACKOFF)
                self._notices_after = monotonic() + NOTICE_BACKOFF
        return False

    async def tick(self) -> int:
        """Send the due retries once; returns how many were due."""
        rt = self._rt
        claimed = await retries.claim(rt, BATCH)
        if claimed is None:
            return 0
        async with rt.sessions() as session:
            due = await pushes.of_deliveries(session, rt, claimed.ids)
        answers = await self._send(due)
        if await outcomes.record(rt, answers):
            self.wakeup.set()
        await retries.release(rt, claimed)
        return claimed.due
