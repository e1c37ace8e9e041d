"""The outbox relay: publishes committed events, then deletes their rows.

It is woken right after a commit that handed it events (`overpush.outbox`), and sweeps every
`outbox_sweep_interval` for rows an earlier process or another replica left behind. A row
whose publish fails (it no longer decodes, or no consumer takes its event yet, as in a rolling
deploy where the publisher is newer than the consumers) is set aside on its own schedule: its
attempt count grows and it is due again after `retry_delay` (doubling, capped at an hour).
Other rows never wait for it, and it is never deleted: `overpush admin outbox list` shows such
rows and `overpush admin outbox replay` makes them due at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.background import Background, stopping
from overpush.bus import Unroutable
from overpush.db import table_of
from overpush.events import Event, decode
from overpush.models import OutboxEvent
from overpush.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 500
# Longest pause between attempts while the bus fails: how late events may go out after the
# broker is back.
MAX_BACKOFF = 5.0
# A row that failed is due again after FIRST_RETRY, doubling per attempt, at most RETRY_CAP.
FIRST_RETRY = timedelta(seconds=1)
RETRY_CAP = timedelta(hours=1)
ERROR_LENGTH = 500
# Published rows are deleted a moment later, many commits' rows in one transaction: the
# delete is bookkeeping (a handed row is not due for any sweep within HANDOFF_GRACE), and
# done at once it was a transaction per commit, run on one machine between the dispatcher's
# commit and its nudge. A crash before the delete publishes those events again after
# HANDOFF_GRACE, as any crash after a publish does: consumers are idempotent.
DELETE_LINGER = 0.05  # seconds
DELETE_BATCH = 256



def retry_delay(attempts: int, cap: timedelta = RETRY_CAP) -> timedelta:
    """How long a row that has failed `attempts` times (>= 1) waits before its next try."""
    exponent = min(max(attempts - 1, 0), 20)  # 2**20 s is far past any cap: no overflow
    delay: timedelta = FIRST_RETRY * (1 << exponent)
    return min(delay, cap)


def row_delay(attempts: int, exc: BaseException) -> timedelta:
    """A fault of the row itself (it no longer decodes, or no consumer takes its event yet)
    backs off up to an hour; a fault of the bus (unreachable, timeout) hits every row alike,
    so those rows are tried again within MAX_BACKOFF, to go out soon after the broker is back."""
    if isinstance(exc, (Unroutable, LookupError, ValueError)):  # ValidationError is a ValueError
        return retry_delay(attempts)
    return retry_delay(attempts, timedelta(seconds=MAX_BACKOFF))


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


_DELETE_BY_EVENT = delete(table_of(OutboxEvent)).where(
    table_of(OutboxEvent).c.event_id.in_(bindparam("ids", expanding=True)))
# Handed-off rows the relay did not publish become due for any sweep at once.
_DUE_NOW = update(table_of(OutboxEvent)).where(
    table_of(OutboxEvent).c.event_id.in_(bindparam("ids", expanding=True))
).values(next_attempt_at=None)



async def _publish_all(send: Callable[[Event], Awaitable[None]],
                       events: Sequence[Event]) -> list[BaseException | None]:
    """Each event's publish, its exception or None; one event (a lone send) without a task
    per publish."""
    if len(events) == 1:
        try:
            await send(events[0])
        except Exception as exc:
            return [exc]
        return [None]
    return list(await asyncio.gather(*(send(e) for e in events), return_exceptions=True))


class OutboxRelay(Background):
    task_name = "outbox-relay"

    def __init__(self, rt: Runtime,
                 publish: Callable[[Event], Awaitable[None]] | None = None,
                 delete_linger: float = DELETE_LINGER) -> None:
        self._rt = rt
        self._linger = delete_linger
        # How an event goes out: the bus by default; the services pass
        # overpush.presence.publish, which sends a device frame where its devices are held.
        self._send = publish or rt.bus.publish
        self._last_sweep = float("-inf")
        self._published: list[str] = []  # event ids published, rows not deleted yet
        self._published_at = 0.0  # loop time of the oldest of them

    def start(self) -> None:
        if self._rt.outbox_handoff is None:
            self._rt.outbox_handoff = []
        # The first sweep comes with the first wake-up that hands nothing over, or an
        # interval from now, as before handing off existed.
        self._last_sweep = asyncio.get_running_loop().time()
        super().start()

    async def stop(self) -> None:
        await super().stop()
        with contextlib.suppress(Exception):  # else the next process publishes them again
            await self.delete_published()
        # What is still handed off is in the outbox table too: made due now, the final
        # flush (or the next process's sweep) publishes it.
        left, self._rt.outbox_handoff = self._rt.outbox_handoff or [], None
        if left:
            with contextlib.suppress(Exception):  # else they are due after HANDOFF_GRACE
                await self._make_due([e.event_id for e in left])

    async def _make_due(self, event_ids: list[str]) -> None:
        async with self._rt.sessions() as session, session.begin():
            await session.execute(_DUE_NOW, {"ids": event_ids})

    async def _run(self) -> None:
        rt = self._rt
        backoff = 0.0
        while True:
            if stopping():
                raise asyncio.CancelledError
            if backoff:
                # While the bus fails, new commits do not trigger attempts of their own (they
                # would hammer a broker that is down); they go out with the next attempt.
                await asyncio.sleep(backoff)
            else:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for runs the wait in a
                # task of its own, one more hop between a commit and its event's dispatch.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._timeout()):
                        await rt.outbox_wakeup.wait()
            woken = rt.outbox_wakeup.is_set()
            rt.outbox_wakeup.clear()
            try:
                handed, failed = await self.publish_handed()
                loop_time = asyncio.get_running_loop().time()
                if self._published and (
                        len(self._published) >= DELETE_BATCH
                        or loop_time - self._published_at >= self._linger):
                    await self.delete_published()
                # Sweep on a commit elsewhere (woken, nothing handed), when a handed event
                # failed, and at least once per interval under steady load.
                if (woken and not handed) or failed or (
                        loop_time - self._last_sweep >= rt.settings.outbox_sweep_interval):
                    self._last_sweep = loop_time
                    while await self.flush() == BATCH:
                        pass
                backoff = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if stopping():
                    raise asyncio.CancelledError from None
                rt.metrics.publish_failures.inc()
                backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF)
                log.warning("outbox publish failed (%s: %s); events stay in the outbox, "
                            "next attempt in %.1fs", type(exc).__name__, exc, backoff)
                log.debug("outbox publish failure", exc_info=True)

    async def publish_handed(self) -> tuple[int, int]:
        """Publish the events handed over since the last call, then delete the rows of those
        the bus confirmed; (how many were handed, how many failed). A failed one stays in
        the table for the sweep, which sets it aside as any other."""
        rt = self._rt
        if not rt.outbox_handoff:
            return 0, 0
        events = list(rt.outbox_handoff)
        rt.outbox_handoff.clear()
        results = await _publish_all(self._send, events)
        for res in results:
            if isinstance(res, BaseException) and not isinstance(res, Exception):
                raise res  # cancelled: the rows stay, the sweep or the next process sends them
        done = [e.event_id for e, res in zip(events, results, strict=True) if res is None]
        if len(done) < len(events):
            # The sweep sets the failed ones aside on its schedule, from now.
            await self._make_due([e.event_id for e, res in zip(events, results, strict=True)
                                  if res is not None])
        if done:
            if not self._published:
                self._published_at = asyncio.get_running_loop().time()
            self._published += done
            rt.metrics.published.inc(len(done))
        return len(events), len(events) - len(done)

    def _timeout(self) -> float:
        """How long the loop may wait for a hand-off: until the published rows are due for
        deleting, else until the next sweep."""
        interval = self._rt.settings.outbox_sweep_interval
        if not self._published:
            return interval
        due = self._published_at + self._linger - asyncio.get_running_loop().time()
        return min(max(due, 0.0), interval)

    async def delete_published(self) -> None:
        """Delete the rows of the events published so far (see DELETE_LINGER)."""
        done, self._published = self._published, []
        if done:
            try:
                async with self._rt.sessions() as session, session.begin():
                    await session.execute(_DELETE_BY_EVENT, {"ids": done})
            except BaseException:
                self._published = done + self._published  # tried again at the next turn
                raise

    async def flush(self) -> int:
        """Publish one batch of due events; returns how many rows it handled (confirmed and
        deleted, or set aside until their next attempt)."""
        rt = self._rt
        now = rt.clock.now()
        async with rt.sessions() as session, session.begin():
            query = (select(OutboxEvent)
                     .where(or_(OutboxEvent.next_attempt_at.is_(None),
                                OutboxEvent.next_attempt_at <= now))
                     .order_by(OutboxEvent.id).limit(BATCH))
            if not rt.settings.is_sqlite:
                # Several api replicas sweep the same table; each row goes to one of them.
                query = query.with_for_update(skip_locked=True)
            rows = (await session.scalars(query)).all()
            # Rows committed here a moment ago wait in the handoff, or were published and
            # wait for their delete: publishing them here as well would send them twice.
            pending = {e.event_id for e in rt.outbox_handoff or ()} | set(self._published)
            rows = [r for r in rows if r.event_id not in pending]
            if not rows:
                return 0
            # One row failing (even one that no longer decodes) must not hold back the rest.
            results = await asyncio.gather(*(self._publish(r) for r in rows),
                                           return_exceptions=True)
            done = [r.id for r, res in zip(rows, results, strict=True) if res is None]
            if done:
                await session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(done)))
            rt.metrics.published.inc(len(done))
            failed = [(r, res) for r, res in zip(rows, results, strict=True)
                      if isinstance(res, BaseException)]
            for row, exc in failed:
                if not isinstance(exc, Exception):  # cancellation: leave the row as it was
                    raise exc
                await self._set_aside(session, row, exc, now)
        return len(rows)

    async def _set_aside(self, session: AsyncSession, row: OutboxEvent, exc: Exception,
                         now: datetime) -> None:
        attempts = row.attempts + 1
        delay = row_delay(attempts, exc)
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.id == row.id)
            .values(attempts=attempts, next_attempt_at=now + delay, last_error=describe(exc)))
        self._rt.metrics.publish_failures.inc()
        log.warning("outbox publish failed for event %s (%s, row %d), attempt %d (%s); it "
                    "stays in the outbox, next attempt in %ds (`overpush admin outbox replay` "
                    "sends it at once)", row.event_id, row.routing_key, row.id, attempts,
                    describe(exc), delay.total_seconds())
        log.debug("outbox publish failure", exc_info=exc)

    async def _publish(self, row: OutboxEvent) -> None:
        await self._send(decode(row.routing_key, row.body))
