"""Emergency receipts on the real clock: when their re-alert slots fall, what the database says
the ticker did, and what every device saw of it.

Slots fall at created + k*retry. The test acts (acknowledges, cancels) only in the quiet
middle between two rounds of slots, so what "on schedule" means is never a race: a receipt
closed at `closed_at` must have been re-alerted exactly once for each slot before it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from overpush.models import Receipt
from overpush.runtime import Runtime
from sqlalchemy import select

from tests.e2e.watcher import Watcher

MARGIN = 4.0  # seconds kept clear of any slot when the test acts


@dataclass(frozen=True)
class Row:
    receipt: str
    created_at: datetime
    retry: int
    attempts: int
    closed_at: datetime | None
    acknowledged: bool

    def slots_before(self, moment: datetime) -> int:
        return int((moment - self.created_at).total_seconds() // self.retry)

    def clearance(self, moment: datetime) -> float:
        """Seconds between `moment` and the nearest slot of this receipt."""
        offset = (moment - self.created_at).total_seconds() % self.retry
        return min(offset, self.retry - offset)


async def rows(rt: Runtime, receipts: list[str]) -> dict[str, Row]:
    async with rt.sessions() as session:
        found = (await session.scalars(select(Receipt).where(Receipt.receipt.in_(receipts)))).all()
    return {r.receipt: Row(r.receipt, r.created_at, r.retry, r.attempts, r.closed_at,
                           r.acknowledged_at is not None) for r in found}


def realerts_seen(watchers: list[Watcher], users: set[int], receipt: str) -> dict[str, int]:
    """Per device of the receipt's recipients: delivery ids of its message after the first."""
    out: dict[str, int] = {}
    for w in watchers:
        if w.user_index in users:
            ids = {s.delivery_id for s in w.seen if s.receipt == receipt}
            out[w.name] = max(len(ids) - 1, 0)
    return out


@dataclass(frozen=True)
class Rounds:
    """The slots of a burst of receipts made between `first` and `last` (wall clock)."""

    first: datetime
    last: datetime
    retry: int

    def quiet(self, k: int) -> tuple[float, float]:
        """The wall-clock window (time.time()) after every receipt's k-th slot and before any
        (k+1)-th one, less MARGIN on each side."""
        start = self.last.timestamp() + k * self.retry + MARGIN
        end = self.first.timestamp() + (k + 1) * self.retry - MARGIN
        return start, end

    def next_quiet(self, at_least: int, room: float) -> int:
        """The first round k >= at_least whose quiet window still has `room` seconds left."""
        k = at_least
        while self.quiet(k)[1] - time.time() < room:
            k += 1
        return k


async def wait_until_wall(moment: float) -> None:
    """Sleep until time.time() reaches `moment` (the schedule is on the wall clock)."""
    delay = moment - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


def now_utc() -> datetime:
    return datetime.now(UTC)
