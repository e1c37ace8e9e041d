"""The retry schedule in the database: due phone pushes are claimed, sent again, recorded.

Retries live in deliveries.push_retry_at rather than in memory or in broker queues: they
survive restarts, replicas share them (FOR UPDATE SKIP LOCKED on PostgreSQL), they never hold
up the MessageAccepted consumer, and a retry disappears by itself when the device syncs (its
delivery row is deleted), which is when a push has nothing left to say.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from overpush.background import Background
from overpush.clock import monotonic
from overpush.mailer import Mailer
from overpush.models import Delivery
from overpush.runtime import Runtime
from sqlalchemy import select, update

from services.dispatcher import outcomes, pushes
from services.dispatcher.providers.base import Push, Result

log = logging.getLogger(__name__)
BATCH = 100
NOTICE_BACKOFF = 60  # seconds between mail attempts while the relay fails
Send = Callable[[Sequence[Push]], Awaitable[list[tuple[Push, Result]]]]


class RetryLoop(Background):
    task_name = "push-retries"

    def __init__(self, rt: Runtime, send: Send, mailer: Mailer) -> None:
        self._rt, self._send, self._mailer = rt, send, mailer
        self.wakeup = asyncio.Event()
        self._notices_after = 0.0

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wakeup.wait(), self._rt.settings.push_retry_interval)
            except TimeoutError:
                pass
            self.wakeup.clear()
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

    async def tick(self) -> int:
        """Send the due retries once; returns how many were due."""
        rt = self._rt
        now = rt.clock.now()
        # A claimed row is pushed back by a lease: if this process dies mid-send, another
        # (or this one, restarted) takes it up after the lease instead of never.
        lease = now + timedelta(seconds=rt.settings.push_timeout * 3 + 30)
        limit = rt.settings.push_max_attempts
        async with rt.sessions() as session, session.begin():
            query = (select(Delivery.id, Delivery.push_attempts)
                     .where(Delivery.push_retry_at <= now)
                     .order_by(Delivery.push_retry_at).limit(BATCH))
            if not rt.settings.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            ids = [r[0] for r in rows if r[1] < limit]
            spent = [r[0] for r in rows if r[1] >= limit]
            # Each claim counts as a try, so a push that crashes us (or hangs past its
            # lease) is still tried only push_max_attempts times.
            await session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(
                push_retry_at=lease, push_attempts=Delivery.push_attempts + 1))
            await session.execute(
                update(Delivery).where(Delivery.id.in_(spent)).values(push_retry_at=None))
        async with rt.sessions() as session:
            due = await pushes.load(session, rt, Delivery.id.in_(ids))
        answers = await self._send(due)
        if await outcomes.record(rt, answers):
            self.wakeup.set()
        async with rt.sessions() as session, session.begin():
            # Rows that made no push (the device was disabled meanwhile) are done.
            await session.execute(update(Delivery).where(
                Delivery.id.in_(ids), Delivery.push_retry_at == lease).values(push_retry_at=None))
        return len(rows)
