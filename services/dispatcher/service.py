"""Turns MessageAccepted into per-device queue rows, then hands the pushes to providers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from overpush import platforms
from overpush.background import Repeat
from overpush.delivery import dispatch, outcomes, pushes, retention
from overpush.delivery.push import Push, Result, as_result
from overpush.delivery.realert import requeue
from overpush.events import Event, MessageAccepted, ReceiptsRetryDue
from overpush.mailer import make_mailer
from overpush.runtime import Runtime
from overpush.settings import Settings

from services.dispatcher.providers.base import Provider
from services.dispatcher.retries import RetryLoop

log = logging.getLogger(__name__)


def consumer_concurrency(settings: Settings) -> int:
    """Events handled at once. Each holds a pooled connection while it runs, and on PostgreSQL
    a connection past the pool's size is opened for it and closed when it comes back (a
    server backend started and a statement cache filled per batch, under load): so no more
    than the pool keeps, less one each for the retry and retention loops. SQLite's one
    connection a process makes handlers queue for it anyway."""
    if settings.is_sqlite:
        return 32
    return max(1, min(32, settings.db_pool_size - 2))


class DispatcherService:
    """Providers come from the composition root (services/runner.py), one per configured
    channel of the platform table; a channel without one gets no pushes (its devices sync
    when they are opened). The dispatcher closes them when it stops."""

    name = "dispatcher"

    def __init__(self, providers: Sequence[Provider] = ()) -> None:
        self._by_name = {p.name: p for p in providers}
        self._rt: Runtime | None = None
        self._loops: list[Repeat] = []

    async def start(self, rt: Runtime) -> None:
        self._rt = rt
        self._retries = RetryLoop(rt, self._push, make_mailer(rt.settings))

        async def sweep() -> bool:
            await retention.sweep(rt)
            return False

        self._loops = [self._retries, Repeat(
            "retention", sweep, lambda: asyncio.sleep(rt.settings.retention_interval),
            pause=0.0)]
        for loop in self._loops:
            loop.start()
        await self._recover(rt)
        await rt.bus.subscribe("dispatcher", [MessageAccepted, ReceiptsRetryDue], self.handle,
                               concurrency=consumer_concurrency(rt.settings))

    async def stop(self) -> None:
        for loop in self._loops:
            await loop.stop()
        for provider in self._by_name.values():
            await provider.close()

    async def _recover(self, rt: Runtime) -> None:
        """Dispatch committed messages that no dispatcher finished (dispatch.undispatched).
        Batches keep each transaction small, and a batch that fails is logged and left for
        the next start instead of keeping the service from starting."""
        after = 0
        while ids := await dispatch.undispatched(rt, after):
            log.info("recovering %d undispatched messages", len(ids))
            try:
                await self.dispatch(ids)
            except Exception:
                log.exception("could not recover messages %s; will try at the next start", ids)
            after = ids[-1]

    async def handle(self, event: Event) -> None:
        if isinstance(event, ReceiptsRetryDue):
            await self.realert(event)
            return
        assert isinstance(event, MessageAccepted)
        await self.dispatch(event.message_ids)

    async def dispatch(self, message_ids: list[int]) -> None:
        rt = self._rt
        assert rt is not None
        async with rt.sessions() as session:
            async with session.begin():
                queued = pushes.nudges(await dispatch.queue_messages(session, rt, message_ids))
                if queued is None:  # a phone, a browser's push subscription, a redelivery
                    queued = await pushes.of_messages(session, rt, message_ids)
            # Committed, and the connection is back in the pool. Push before leaving the
            # session: AsyncSession's exit closes it in a task of its own, and waiting for
            # that put the transactions queued for the connection (the quota service's, the
            # relay's) ahead of the nudge.
            answers = await self._push(queued)
        if await outcomes.record(rt, answers):
            self._retries.wakeup.set()  # mail the owners of disabled devices now
        log.info("dispatched messages %s to %d devices", message_ids, len(queued),
                 extra={"message_ids": message_ids})

    async def realert(self, event: ReceiptsRetryDue) -> None:
        """An emergency's repeated alert: queued again, then pushed like a new message (the
        phone and browser pushes carry it, marked as a re-alert), outcomes recorded."""
        rt = self._rt
        assert rt is not None
        woken = await requeue(rt, event)
        if not woken:
            return
        pairs = {(target.id, mid) for target, mid in woken}
        async with rt.sessions() as session, session.begin():
            loaded = await pushes.of_pairs(session, rt, pairs)
        batch = [replace(p, realert=True) for p in loaded]
        if await outcomes.record(rt, await self._push(batch)):
            self._retries.wakeup.set()

    async def _push(self, batch: Sequence[Push]) -> list[tuple[Push, Result]]:
        """Each push to the providers of its device's channels (platforms.channels_for): a
        nudge channel gets it without the message, so its answer records nothing."""
        rt = self._rt
        assert rt is not None
        by_provider: dict[str, list[Push]] = {}
        for p in batch:
            for channel in platforms.channels_for(p.target.os, p.phone is not None):
                if channel.provider in self._by_name:
                    by_provider.setdefault(channel.provider, []).append(
                        p if channel.payload else replace(p, phone=None))
        answers: list[tuple[Push, Result]] = []
        for name, group in by_provider.items():
            results = [as_result(r) for r in await self._by_name[name].send(group)]
            for push, result in zip(group, results, strict=True):
                rt.metrics.delivered.labels(name, result.outcome.value).inc()
                answers.append((push, result))
        return answers
