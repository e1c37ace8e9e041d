"""The intake transaction for a batch of requests: look up, admit, write, announce.

Each request is decided on its own (its token, its recipients, its share of the quota, in
arrival order), but the batch shares one transaction, one multi-row INSERT of messages and
one MessageAccepted per application, so the outbox relay, the dispatcher and the quota
service handle the batch once too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import outbox, receipts
from overpush.db import PerDialect, table_of
from overpush.errors import ApiError, E
from overpush.events import MessageAccepted
from overpush.intake.duplicates import answer_dups, claim_keys, release_refused
from overpush.intake.lookups import lookups
from overpush.intake.plans import Accepted, Outcome, Plan, Request, by_app
from overpush.intake.validate import MessageDraft
from overpush.models import Attachment, Message
from overpush.quota import limit_of, reserve_many
from overpush.runtime import Runtime

log = logging.getLogger(__name__)


_M = table_of(Message)
# Core, not the ORM's bulk INSERT: the same multi-row INSERT ... RETURNING without its
# per-batch statement building. Which id is whose: a multi-row INSERT gives its rows ids in
# the order of its parameters, ascending, so the returned ids sorted are in parameter order.
# On PostgreSQL SQLAlchemy makes sure of that order itself (INSERT ... SELECT ... ORDER BY).
# On SQLite it would not batch an ordered RETURNING at all (SQLite promises nothing about the
# order of the rows RETURNING gives back) and ran one INSERT a row; but there each row's id is
# one past the largest ever given (AUTOINCREMENT) while the one writer holds the lock, so
# sorting the unordered answer is enough.
_INSERT_MESSAGES = PerDialect(lambda dialect: insert(_M).returning(
    _M.c.id, sort_by_parameter_order=dialect is postgresql))


async def commit(rt: Runtime, take: Callable[[], list[Request]]) -> list[Outcome]:
    """One outcome per request taken. Should the shared transaction fail as a whole (a
    database error, a bug one request triggers), each request is tried alone, so only its
    own fails."""
    requests: list[Request] = []
    try:
        async with _session(rt) as session, session.begin():
            # Hold a connection before taking the batch: on SQLite (one connection a process)
            # the requests that arrive while the dispatcher or the relay holds it join in.
            await session.connection()
            requests = take()
            outcomes, admitted = await _decide_and_write(session, rt, requests)
    except Exception:
        if len(requests) <= 1:
            raise
        log.warning("group commit of %d requests failed; committing them one at a time",
                    len(requests), exc_info=True)
        return [await _alone(rt, request) for request in requests]
    return _announce(rt, admitted, outcomes)


@asynccontextmanager
async def _session(rt: Runtime) -> AsyncIterator[AsyncSession]:
    """A session closed in place: AsyncSession's own exit closes it in a task of its own
    (shielded from cancellation), a hop that put the relay's and the dispatcher's work ahead
    of the answers. After the commit the connection is already back in the pool, so the
    close only forgets the session's objects; a batch task is cancelled only at shutdown."""
    session = rt.sessions()
    try:
        yield session
    finally:
        await session.close()


async def _alone(rt: Runtime, request: Request) -> Outcome:
    try:
        async with rt.sessions() as session, session.begin():
            outcomes, admitted = await _decide_and_write(session, rt, [request])
    except Exception as exc:
        return exc
    return _announce(rt, admitted, outcomes)[0]


async def _decide_and_write(session: AsyncSession, rt: Runtime, requests: Sequence[Request],
                            ) -> tuple[list[Outcome | None], list[Plan]]:
    """Refusals are in the outcomes; the admitted plans still need their answers."""
    rt.metrics.intake_batch.observe(len(requests))
    now = rt.clock.now()
    outcomes: list[Outcome | None] = [None] * len(requests)
    plans = await lookups(session, requests, outcomes)
    # Only requests with a dedup_key pay for it: ordinary sends skip this entirely.
    dups = await claim_keys(session, plans, now) if any(
        p.request.draft.dedup_key for p in plans) else []
    repeated = {id(p) for p in dups}
    admitted = await _admit(session, rt, [p for p in plans if id(p) not in repeated],
                            outcomes, now)
    if any(p.scope is not None for p in plans):
        await release_refused(session, plans, outcomes)
    if admitted:
        await _write(session, rt, admitted, now)
    if dups:
        await answer_dups(session, rt, dups, outcomes, now)
    return outcomes, admitted


def _announce(rt: Runtime, admitted: list[Plan],
              outcomes: list[Outcome | None]) -> list[Outcome]:
    """After the commit: wake the relay, answer each admitted request, count and log them;
    the outcome of every request, in order. One log line and one count per source for the
    whole batch: a line per request was the intake's largest single cost under load (and
    thousands of lines a second)."""
    if admitted:
        rt.outbox_wakeup.set()
    per_source: dict[str, int] = defaultdict(int)
    for plan in admitted:
        assert plan.allowance is not None
        outcomes[plan.index] = Accepted(plan.message_ids, plan.allowance, plan.receipt)
        per_source[plan.request.source] += len(plan.message_ids)
    for source, n in per_source.items():
        rt.metrics.accepted.labels(source).inc(n)
    if admitted:
        log.info("accepted %s", "; ".join(
            f"messages {p.message_ids} from app {p.app.id} (request {p.request.request_id})"
            for p in admitted),
            extra={"message_ids": [i for p in admitted for i in p.message_ids],
                   "request_ids": [p.request.request_id for p in admitted]})
    answered = [o for o in outcomes if o is not None]
    assert len(answered) == len(outcomes), "every request is refused or admitted"
    return answered


async def _admit(session: AsyncSession, rt: Runtime, plans: list[Plan],
                 outcomes: list[Outcome | None], now: datetime) -> list[Plan]:
    """Each application's requests in arrival order against its allowance. Applications go
    in id order, so two batches on PostgreSQL lock usage rows in the same order."""
    grouped = by_app(plans)
    admitted = []
    for app_id in sorted(grouped):
        group = grouped[app_id]
        limit = limit_of(group[0].app, rt.settings.app_monthly_limit)
        answers = await reserve_many(session, app_id, [len(p.recipients) for p in group],
                                     limit, now, group[0].app.purchased)
        for plan, (ok, allowance) in zip(group, answers, strict=True):
            if ok:
                plan.allowance = allowance
                admitted.append(plan)
            else:
                outcomes[plan.index] = ApiError(
                    [ApiError.of(E.QUOTA_EXCEEDED).errors[0]], headers=allowance.headers())
    return sorted(admitted, key=lambda p: p.index)


async def _write(session: AsyncSession, rt: Runtime, plans: list[Plan],
                 now: datetime) -> None:
    """Every admitted request's messages in one INSERT, its receipt, and one event per
    application."""
    rows = []
    for plan in plans:
        draft = plan.request.draft
        attachment_id = await _store_attachment(session, draft, now)
        sent_at = (datetime.fromtimestamp(draft.timestamp, UTC)
                   if draft.timestamp is not None else now)
        expires_at = now + timedelta(seconds=draft.ttl) if draft.ttl else None
        rows += [
            dict(app_id=plan.app.id, user_id=r.user_id, request_id=plan.request.request_id,
                 title=draft.title, body=draft.message, priority=draft.priority,
                 sound=r.sound or draft.sound, url=draft.url, url_title=draft.url_title,
                 html=draft.html, monospace=draft.monospace, encrypted=draft.encrypted,
                 devices=r.devices,
                 sent_at=sent_at, created_at=now, expires_at=expires_at,
                 attachment_id=attachment_id, status_callback=draft.status_callback)
            for r in plan.recipients
        ]
    # One multi-row INSERT ... RETURNING (no ORM objects): a group send makes 1,000s.
    ids = iter(sorted((await session.scalars(_INSERT_MESSAGES.on(session), rows)).all()))
    for plan in plans:
        plan.message_ids = [next(ids) for _ in plan.recipients]
        draft = plan.request.draft
        if draft.priority == 2 and draft.retry is not None and draft.expire is not None:
            plan.receipt = await receipts.create(
                session, app_id=plan.app.id, request_id=plan.request.request_id,
                recipients=[(mid, r.user_id) for mid, r in zip(
                    plan.message_ids, plan.recipients, strict=True)],
                retry=draft.retry, expire=draft.expire, callback=draft.callback,
                tags=draft.tags, now=now, receipt=plan.request.receipt,
                escalation=None if plan.escalation is None else (draft.escalation,
                                                                 plan.escalation),
            )
    await outbox.stage(session, rt, [
        MessageAccepted(message_ids=[i for p in group for i in p.message_ids], app_id=app_id,
                        priority=max(p.request.draft.priority for p in group))
        for app_id, group in by_app(plans).items()
    ])


async def _store_attachment(session: AsyncSession, draft: MessageDraft,
                            now: datetime) -> int | None:
    """One stored copy per request, shared by every recipient's message row."""
    if draft.attachment is None:
        return None
    row = Attachment(content_type=draft.attachment.content_type,
                     size=len(draft.attachment.data), data=draft.attachment.data,
                     created_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def commit_in(session: AsyncSession, rt: Runtime,
                    requests: Sequence[Request]) -> list[Outcome]:
    """Decide and write `requests` in the caller's transaction, for a timer whose claim must
    commit together with the messages it sends (a replica that loses the claim sends
    nothing; a rollback sends nothing). Refusals (quota, a deleted recipient) are outcomes.
    The caller sets rt.outbox_wakeup after its commit."""
    outcomes, admitted = await _decide_and_write(session, rt, requests)
    return _announce(rt, admitted, outcomes)
