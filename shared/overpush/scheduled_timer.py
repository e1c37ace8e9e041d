"""The scheduled-message timer: claim the due messages and hand them to the intake, in one
transaction, so a message goes out exactly once (see overpush.scheduled for the rules). Kept
apart from them because it sends through the intake, which itself schedules.

Several receipts services may tick at once: on PostgreSQL each claims its rows with FOR
UPDATE SKIP LOCKED (as the emergency timer does), and the intake's rows, receipt, quota and
MessageAccepted commit with the row marked sent; a crash before the commit leaves it due.
"""

from __future__ import annotations

import logging
from datetime import datetime

from overpush import dedup, scheduled
from overpush.errors import ApiError
from overpush.intake.commit import commit_in
from overpush.intake.plans import Outcome, Request
from overpush.models import ScheduledMessage
from overpush.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 64  # the group commit's batch size


async def tick(rt: Runtime, *, limit: int = BATCH) -> int:
    """Send up to `limit` messages due at rt.clock.now(); returns how many were due."""
    try:
        return await _tick(rt, limit)
    except Exception:
        if limit == 1:
            raise
        # One message broke the shared transaction: go one at a time, so only it fails.
        log.warning("scheduled batch failed; sending one at a time", exc_info=True)
        done = 0
        while done < limit and await _tick_one_or_refuse(rt):
            done += 1
        return done


async def _tick(rt: Runtime, limit: int) -> int:
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        rows = await scheduled.claim_due(session, now, limit, not rt.settings.is_sqlite)
        if not rows:
            return 0
        requests = [Request(scheduled.load(r.draft), r.request_id, "scheduled", r.receipt)
                    for r in rows]
        outcomes = await commit_in(session, rt, requests)
        for row, outcome in zip(rows, outcomes, strict=True):
            _record(row, outcome, now)
    rt.outbox_wakeup.set()
    return len(rows)


def _record(row: ScheduledMessage, outcome: Outcome, now: datetime) -> None:
    row.due_at = None
    if isinstance(outcome, ApiError):
        row.refused_at = now
        row.refusal = "; ".join(e.message for e in outcome.errors)[:200]
        log.info("scheduled message %s refused: %s", row.public_id, row.refusal)
    else:
        row.sent_at = now


async def _tick_one_or_refuse(rt: Runtime) -> bool:
    """Send the next due message alone; should that fail too, record it refused."""
    try:
        return await _tick(rt, 1) > 0
    except Exception:
        log.exception("scheduled message failed; recording it refused")
        now = rt.clock.now()
        async with rt.sessions() as session, session.begin():
            rows = await scheduled.claim_due(session, now, 1, not rt.settings.is_sqlite)
            for row in rows:
                row.due_at, row.refused_at, row.refusal = None, now, "internal error"
        return bool(rows)


async def purge(rt: Runtime) -> tuple[int, int]:
    """Finished scheduled messages and closed dedup keys past their retention."""
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        return await scheduled.purge(session, now), await dedup.purge(session, now)
