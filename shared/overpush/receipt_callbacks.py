"""Receipt callbacks: claim due ones with a lease, POST outside the transaction, record.

A claim moves the row's next_attempt_at a lease ahead, so a receipts service that dies
mid-POST leaves it to be retried after the lease; a failure backs off; success sets
called_back_at on the receipt.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from overpush import callbacks
from overpush.clock import unix
from overpush.models import Receipt, ReceiptCallback
from overpush.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
# Seconds to wait after the n-th failed attempt; after the last one we give up.
DELAYS = (5, 15, 60, 300, 900, 1800, 3600)
CLAIM = 16


@dataclass(frozen=True)
class Job:
    receipt_id: int
    url: str
    attempt: int
    form: dict[str, str]


def next_delay(attempt: int) -> timedelta | None:
    """Back-off after the `attempt`-th failure (1-based); None: give up."""
    return timedelta(seconds=DELAYS[attempt - 1]) if attempt <= len(DELAYS) else None


async def claim(rt: Runtime, limit: int = CLAIM) -> list[Job]:
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        query = (select(ReceiptCallback, Receipt)
                 .join(Receipt, Receipt.id == ReceiptCallback.receipt_id)
                 .where(ReceiptCallback.next_attempt_at <= now)
                 .order_by(ReceiptCallback.next_attempt_at).limit(limit))
        if not rt.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=ReceiptCallback)
        jobs = []
        for cb, r in (await session.execute(query)).all():
            cb.attempts += 1
            cb.next_attempt_at = now + LEASE
            assert r.acknowledged_at is not None
            jobs.append(Job(r.id, cb.url, cb.attempts, {
                "receipt": r.receipt, "acknowledged": "1",
                "acknowledged_at": str(unix(r.acknowledged_at)),
                "acknowledged_by": r.acknowledged_by or "",
                "acknowledged_by_device": r.acknowledged_by_device or "",
            }))
    return jobs


async def run(rt: Runtime, job: Job) -> bool:
    """Make one callback attempt and record its outcome; True when the receiver took it."""
    s = rt.settings
    error, retry = await callbacks.attempt(job.url, job.form,
                                           allow_private=s.callback_allow_private,
                                           timeout=s.callback_timeout)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        if error is None:
            await session.execute(update(ReceiptCallback)
                                  .where(ReceiptCallback.receipt_id == job.receipt_id)
                                  .values(delivered_at=now, next_attempt_at=None,
                                          last_error=None))
            await session.execute(update(Receipt).where(Receipt.id == job.receipt_id)
                                  .values(called_back_at=now))
            return True
        delay = next_delay(job.attempt) if retry else None
        log.warning("callback for receipt %s failed (attempt %d): %s%s", job.receipt_id,
                    job.attempt, error, "" if delay else "; giving up")
        await session.execute(
            update(ReceiptCallback)
            .where(ReceiptCallback.receipt_id == job.receipt_id,
                   ReceiptCallback.attempts == job.attempt)  # our lease, not a newer one
            .values(next_attempt_at=now + delay if delay else None, last_error=error[:200])
        )
    return False


async def deliver_due(rt: Runtime) -> int:
    """Claim and make every due callback attempt; returns how many were attempted."""
    jobs = await claim(rt)
    if jobs:
        await asyncio.gather(*(run(rt, j) for j in jobs))
    return len(jobs)
