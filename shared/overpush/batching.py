"""Group commit: work submitted while a batch is running goes into the next batch, together.

Most of what one accepted message costs is per transaction and per statement, not per row
(session set-up, BEGIN/COMMIT, one round trip per statement, and one event that the outbox
relay, the dispatcher and the quota service each handle in a transaction of their own). When
requests arrive concurrently, one transaction for all of them shares that cost; a lone
request is a batch of one and waits for nobody.

How many share a batch depends on what arrives before it is taken. When taking a batch costs
no waiting (a pool of PostgreSQL connections has one idle), a steady load of N clients splits
into a batch of those whose next request already arrived and another of the rest, each
paying the whole per-transaction cost (and, downstream, one event, one dispatch and one
count each). A Batcher with a `linger` therefore waits, at most that long, until as many
items are queued as the recent batches held (`expected`): a steady load's batches stay
whole, and a lone request after a lone request still waits for nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
# Runs one batch. It calls `take()` once, when it is ready to start (say, once it holds a
# database connection: everything submitted while it waited joins the batch), and returns one
# outcome per item taken, in order: a result, or that item's own exception.
BatchRun = Callable[[Callable[[], list[T]]], Awaitable[Sequence["R | BaseException"]]]


RECENT = 4  # batches `expected` looks back on


def expected(recent: Iterable[int], limit: int) -> int:
    """How many items the next batch should wait for: as many as the largest recent batch,
    within the limit (1 with no history: wait for nobody)."""
    return min(max(recent, default=1), limit)


class Batcher(Generic[T, R]):
    """One worker task at a time runs batches of up to `limit` queued items.

    The worker lives only while there is work, so nothing needs starting or stopping. A
    submitter that is cancelled while its item still waits takes the item out (it was never
    accepted); once its batch is taken, the outcome stands whether or not anyone still waits.
    """

    def __init__(self, limit: int = 64, linger: float = 0.0) -> None:
        self.limit = limit
        self.linger = linger  # seconds a batch may wait for the items `expected` (0: none)
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._recent: deque[int] = deque(maxlen=RECENT)
        self._want = 0  # items the worker is waiting for, if it waits
        self._enough = asyncio.Event()

    async def submit(self, item: T, run: BatchRun[T, R]) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._want and len(self._queue) >= self._want:
            self._enough.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(run), name="group-commit")
        return await future

    async def _gather(self) -> None:
        """Wait, at most `linger`, until the batch the recent ones predict has queued."""
        want = expected(self._recent, self.limit)
        if not self.linger or len(self._queue) >= want:
            return
        self._want = want
        self._enough.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.linger):
                await self._enough.wait()
        self._want = 0

    async def _drain(self, run: BatchRun[T, R]) -> None:
        while self._queue:
            batch: list[tuple[T, asyncio.Future[R]]] = []
            taken = False

            def take() -> list[T]:
                nonlocal batch, taken
                if not taken:
                    taken = True
                    head, self._queue = self._queue[:self.limit], self._queue[self.limit:]
                    batch = [(item, f) for item, f in head if not f.done()]  # done: cancelled
                    self._recent.append(len(batch))
                return [item for item, _ in batch]

            try:
                await self._gather()
                outcomes: Sequence[R | BaseException] = await run(take)
            except asyncio.CancelledError:  # shutting down: nobody is left waiting for long
                take()
                for _, future in batch + self._queue:
                    future.cancel()
                self._queue = []
                raise
            except Exception as exc:  # every waiter of the batch must hear of it
                outcomes = [exc] * len(take())
            _settle(batch, outcomes)


def _settle(batch: Sequence[tuple[object, asyncio.Future[R]]],
            outcomes: Sequence[R | BaseException]) -> None:
    for (_, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
