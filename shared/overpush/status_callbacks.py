"""Status callbacks (issue 17 §6): the application's signing secret (Stripe's scheme, the old
secret valid 24 hours after a rotation), and the timer: claim due ones with a lease, POST the
JSON signed with the application's secret(s) outside the transaction, record. Back-off as for
receipt callbacks (receipt_callbacks.next_delay); a URL that stops passing the outbound checks
is given up."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import callbacks, delivery_status
from overpush.clock import unix
from overpush.ids import random_key
from overpush.models import App, StatusCallback
from overpush.receipt_callbacks import LEASE, next_delay
from overpush.runtime import Runtime

log = logging.getLogger(__name__)
CLAIM = 16
OLD_SECRET_VALID = timedelta(hours=24)


# --- the application's secret and the signature -------------------------------------------

def new_secret() -> str:
    return "whsec_" + random_key(40)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Stripe's scheme: HMAC-SHA256 over "<t>.<body>", hex."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def signing_secrets(app: App, now: datetime) -> list[str]:
    """The current secret, and the previous one for 24 hours after a rotation."""
    secrets = [app.status_secret] if app.status_secret else []
    rotated = app.status_secret_rotated_at
    if app.status_secret_old and rotated is not None and now - rotated < OLD_SECRET_VALID:
        secrets.append(app.status_secret_old)
    return secrets


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """X-Overpush-Signature: t=<unix>,v1=<hex>[,v1=<hex of the previous secret>]."""
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets)])


def verify(header: str, secret: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: a v1 matches for this secret and t is recent."""
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = sign(secret, int(stamps[0]), body)
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, _, v in parts)


async def ensure_secret(session: AsyncSession, app: App) -> str:
    """The application's signing secret, made on first need."""
    if not app.status_secret:
        app.status_secret = new_secret()
        await session.flush()
    return app.status_secret


async def secret_of(rt: Runtime, app_id: int) -> str:
    """The application's signing secret for its page, made there on first view."""
    async with rt.sessions() as session, session.begin():
        app = await session.get(App, app_id)
        assert app is not None
        return await ensure_secret(session, app)


async def rotate_secret(rt: Runtime, owner_id: int, app_id: int) -> bool:
    """Rotate an application of `owner_id`'s; False when it is not theirs."""
    async with rt.sessions() as session, session.begin():
        app = await session.get(App, app_id)
        if app is None or app.owner_id != owner_id:
            return False
        rotate(app, rt.clock.now())
    return True


def rotate(app: App, now: datetime) -> None:
    """A new secret; the old one keeps signing for OLD_SECRET_VALID."""
    app.status_secret_old, app.status_secret = app.status_secret, new_secret()
    app.status_secret_rotated_at = now



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
            await ensure_secret(session, app)
            jobs.append(Job(cb.id, cb.url, cb.body.encode(), cb.attempts,
                            signing_secrets(app, now)))
    return jobs


async def run(rt: Runtime, job: Job) -> bool:
    s = rt.settings
    stamp = unix(rt.clock.now())
    headers = {"Content-Type": "application/json", "X-Overpush-Signature":
               signature_header(job.secrets, stamp, job.body)}
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
