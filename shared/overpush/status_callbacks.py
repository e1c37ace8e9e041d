"""Status callbacks (issue 17 §6): claim due ones with a lease, POST the JSON signed with the
application's secret(s) outside the transaction, record. Back-off as for receipt callbacks
(receipt_callbacks.next_delay); a URL that stops passing the outbound checks is given up."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from overpush import callbacks, delivery_status
from overpush.clock import unix
from overpush.models import App, StatusCallback
from overpush.receipt_callbacks import LEASE, next_delay
from overpush.runtime import Runtime

log = logging.getLogger(__name__)
CLAIM = 16


@dataclass(frozen=True)
class Job:
    id: int
    url: str
    body: bytes
    attempt: int
    secrets: list[str]


async def claim(rt: Runtime, limit: int = CLAIM) -> list[Job]:
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        query = (select(StatusCallback, App).join(App, App.id == StatusCallback.app_id)
                 .where(StatusCallback.next_attempt_at <= now)
                 .order_by(StatusCallback.next_attempt_at).limit(limit))
        if not rt.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=StatusCallback)
        jobs = []
        for cb, app in (await session.execute(query)).all():
            cb.attempts += 1
            cb.next_attempt_at = now + LEASE
            await delivery_status.ensure_secret(session, app)
            jobs.append(Job(cb.id, cb.url, cb.body.encode(), cb.attempts,
                            delivery_status.signing_secrets(app, now)))
    return jobs


async def run(rt: Runtime, job: Job) -> bool:
    s = rt.settings
    stamp = unix(rt.clock.now())
    headers = {"Content-Type": "application/json", "X-Overpush-Signature":
               delivery_status.signature_header(job.secrets, stamp, job.body)}
    error, retry = await callbacks.attempt(job.url, {}, allow_private=s.callback_allow_private,
                                           timeout=s.callback_timeout, content=job.body,
                                           headers=headers)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        if error is None:
            await session.execute(update(StatusCallback).where(StatusCallback.id == job.id)
                                  .values(delivered_at=now, next_attempt_at=None,
                                          last_error=None))
            return True
        delay = next_delay(job.attempt) if retry else None
        log.warning("status callback %s failed (attempt %d): %s%s", job.id, job.attempt,
                    error, "" if delay else "; giving up")
        await session.execute(
            update(StatusCallback)
            .where(StatusCallback.id == job.id, StatusCallback.attempts == job.attempt)
            .values(next_attempt_at=now + delay if delay else None, last_error=error[:200]))
    return False


async def deliver_due(rt: Runtime) -> int:
    """Claim and make every due status callback; returns how many were attempted."""
    jobs = await claim(rt)
    if jobs:
        await asyncio.gather(*(run(rt, j) for j in jobs))
    return len(jobs)


async def purge(rt: Runtime) -> int:
    async with rt.sessions() as session, session.begin():
        return await delivery_status.purge(session, rt.clock.now(), rt.settings.retention_days)
