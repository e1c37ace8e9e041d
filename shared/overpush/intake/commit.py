"""The intake transaction for a batch of requests: look up, admit, write, announce.

Each request is decided on its own (its token, its recipients, its share of the quota, in
arrival order), but the batch shares one transaction, one multi-row INSERT of messages and
one MessageAccepted per application, so the outbox relay, the dispatcher and the quota
service handle the batch once too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import dedup, escalations, outbox, receipts
from overpush.apps import OWNER_CONFIRMED
from overpush.db import table_of
from overpush.errors import ApiError, E
from overpush.events import MessageAccepted
from overpush.intake.recipients import Recipient, resolve
from overpush.intake.validate import MessageDraft
from overpush.models import App, Attachment, CustomSound, Message
from overpush.quota import PURCHASED_OF_APP, Allowance, limit_of, reserve_many
from overpush.quota import allowance as allowance_now
from overpush.runtime import Runtime
from overpush.sounds import BUILTIN_SOUNDS

log = logging.getLogger(__name__)


# Built once, as plain columns: every send asks it, and an ORM entity per request would cost
# an identity-map entry and an instance (the intake needs three columns of the app).
_A, _M = table_of(App), table_of(Message)
_APPS = select(_A.c.id, _A.c.token, _A.c.monthly_limit, _A.c.team_id,
               func.coalesce(PURCHASED_OF_APP, 0)).where(
    _A.c.token.in_(bindparam("tokens", expanding=True)), OWNER_CONFIRMED)
# Core, not the ORM's bulk INSERT: the same multi-row INSERT ... RETURNING without its
# per-batch statement building.
_INSERT_MESSAGES = insert(_M).returning(_M.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True, slots=True)
class Sender:
    """The sending application, as far as the intake needs it."""

    id: int
    token: str
    monthly_limit: int | None
    team_id: int | None
    purchased: int  # capacity bought and left, read with the app (for the answer's headers)


@dataclass(frozen=True)
class Request:
    draft: MessageDraft
    request_id: str
    source: str  # "api", "email", "dashboard", "scheduled": the accepted-messages label
    receipt: str | None = None  # a scheduled priority-2 message's receipt, given in advance


@dataclass(frozen=True)
class Accepted:
    message_ids: list[int]
    allowance: Allowance
    receipt: str | None = None  # priority 2 only
    # A dedup_key send while its message is open: nothing was written; `request_id` is the
    # first request's.
    deduplicated: bool = False
    request_id: str | None = None
    scheduled: str | None = None  # a send_at request: the scheduled message's id


@dataclass
class _Plan:
    """A request that passed its lookups, on its way to admission and its rows."""

    index: int
    request: Request
    app: Sender
    recipients: list[Recipient]
    allowance: Allowance | None = None
    message_ids: list[int] = field(default_factory=list)
    receipt: str | None = None
    # dedup_key only: the key this request claimed, or the open message it repeats (the
    # request holding it, or the plan of this batch that claimed it first).
    scope: dedup.Scope | None = None
    holder: str | None = None
    leader: _Plan | None = None
    escalation: str | None = None  # the levels of the escalation policy it names


Outcome = Accepted | BaseException


async def commit(rt: Runtime, take: Callable[[], list[Request]]) -> list[Outcome]:
    """One outcome per request taken. Should the shared transaction fail as a whole (a
    database error, a bug one request triggers), each request is tried alone, so only its
    own fails."""
    requests: list[Request] = []
    try:
        async with rt.sessions() as session, session.begin():
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


async def _alone(rt: Runtime, request: Request) -> Outcome:
    try:
        async with rt.sessions() as session, session.begin():
            outcomes, admitted = await _decide_and_write(session, rt, [request])
    except Exception as exc:
        return exc
    return _announce(rt, admitted, outcomes)[0]


async def _decide_and_write(session: AsyncSession, rt: Runtime, requests: Sequence[Request],
                            ) -> tuple[list[Outcome | None], list[_Plan]]:
    """Refusals are in the outcomes; the admitted plans still need their answers."""
    rt.metrics.intake_batch.observe(len(requests))
    now = rt.clock.now()
    outcomes: list[Outcome | None] = [None] * len(requests)
    plans = await _lookups(session, requests, outcomes)
    # Only requests with a dedup_key pay for it: ordinary sends skip this entirely.
    dups = await _claim_keys(session, plans, now) if any(
        p.request.draft.dedup_key for p in plans) else []
    repeated = {id(p) for p in dups}
    admitted = await _admit(session, rt, [p for p in plans if id(p) not in repeated],
                            outcomes, now)
    if any(p.scope is not None for p in plans):
        await _release_refused(session, plans, outcomes)
    if admitted:
        await _write(session, rt, admitted, now)
    if dups:
        await _answer_dups(session, rt, dups, outcomes, now)
    return outcomes, admitted


async def _claim_keys(session: AsyncSession, plans: list[_Plan], now: datetime) -> list[_Plan]:
    """Claim each dedup key (in a fixed order, so two intakes never wait on each other in a
    cycle); the plans that found their key open are returned, with `leader` set to the
    request holding it."""
    keyed = []
    for plan in plans:
        draft = plan.request.draft
        if draft.dedup_key:
            keyed.append((dedup.scope_of(plan.app.id, draft.users, draft.dedup_key), plan))
    first: dict[dedup.Scope, _Plan] = {}
    dups: list[_Plan] = []
    for scope, plan in sorted(keyed, key=lambda sp: (sp[0].app_id, sp[0].users, sp[0].key,
                                                     sp[1].index)):
        if scope in first:  # the same incident twice in one batch
            plan.leader = first[scope]
            dups.append(plan)
            continue
        first[scope] = plan
        holder = await dedup.claim(session, scope, plan.request.request_id,
                                   plan.request.draft.dedup_window, now)
        if holder == plan.request.request_id:
            plan.scope = scope
        else:
            plan.holder = holder
            dups.append(plan)
    return dups


async def _release_refused(session: AsyncSession, plans: list[_Plan],
                           outcomes: list[Outcome | None]) -> None:
    for plan in plans:
        if plan.scope is not None and isinstance(outcomes[plan.index], BaseException):
            await dedup.release(session, plan.scope, plan.request.request_id)


async def _answer_dups(session: AsyncSession, rt: Runtime, dups: list[_Plan],
                       outcomes: list[Outcome | None], now: datetime) -> None:
    """A duplicate is answered with the open message's request and receipt, and where its
    application stands, and costs nothing. Behind a leader of this batch that was refused,
    it is refused alike."""
    for plan in dups:
        if plan.leader is not None:
            leader = outcomes[plan.leader.index]
            if isinstance(leader, BaseException):
                outcomes[plan.index] = leader
                continue
            if plan.leader.holder is not None:  # the leader itself found the key open
                plan.holder = plan.leader.holder
            else:
                plan.holder, plan.receipt = plan.leader.request.request_id, plan.leader.receipt
        assert plan.holder is not None
        if plan.receipt is None:
            plan.receipt = await dedup.receipt_of(session, plan.app.id, plan.holder)
        limit = limit_of(plan.app, rt.settings.app_monthly_limit)
        outcomes[plan.index] = Accepted(
            [], await allowance_now(session, plan.app.id, limit, now), plan.receipt,
            deduplicated=True, request_id=plan.holder)


def _announce(rt: Runtime, admitted: list[_Plan],
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


async def _lookups(session: AsyncSession, requests: Sequence[Request],
                   outcomes: list[Outcome | None]) -> list[_Plan]:
    """Token, recipients and sound of each request; a request that fails one is answered
    with its error here and goes no further. Identical lookups run once per batch."""
    tokens = {r.draft.token for r in requests}
    apps = {r.token: Sender(*r) for r in (await session.execute(
        _APPS, {"tokens": list(tokens)})).all()}
    recipients_of: dict[tuple[int, tuple[str, ...], tuple[str, ...]],
                        list[Recipient] | ApiError] = {}
    sound_error: dict[tuple[int, str], ApiError | None] = {}
    plans = []
    for i, request in enumerate(requests):
        draft = request.draft
        try:
            app = apps.get(draft.token)
            if app is None:
                raise ApiError.of(E.TOKEN_INVALID)
            key = (app.id, draft.users, draft.devices)
            if key not in recipients_of:
                recipients_of[key] = await _resolved(session, draft, app.id)
            if isinstance(recipients := recipients_of[key], ApiError):
                raise ApiError(list(recipients.errors))  # each request its own error
            sound = draft.sound
            if sound is not None and sound not in BUILTIN_SOUNDS:
                if (app.id, sound) not in sound_error:
                    sound_error[app.id, sound] = await _unknown_sound(session, app.id, sound)
                if (error := sound_error[app.id, sound]) is not None:
                    raise ApiError(list(error.errors))
            levels = None if draft.escalation is None else await escalations.for_send(
                session, app.id, draft)
        except ApiError as err:
            outcomes[i] = err
            continue
        plans.append(_Plan(i, request, app, recipients, escalation=levels))
    return plans


async def check(session: AsyncSession, draft: MessageDraft) -> Sender:
    """The lookups of one request (token, recipients, sound), raising its error; its app."""
    outcomes: list[Outcome | None] = [None]
    plans = await _lookups(session, [Request(draft, "", "check")], outcomes)
    if isinstance(error := outcomes[0], BaseException):
        raise error
    return plans[0].app


async def _resolved(session: AsyncSession, draft: MessageDraft,
                    app_id: int) -> list[Recipient] | ApiError:
    try:
        return await resolve(session, draft.users, draft.devices, app_id)
    except ApiError as err:
        return err


async def _unknown_sound(session: AsyncSession, app_id: int, sound: str) -> ApiError | None:
    """A sender may use the sounds uploaded for its own application, and no others."""
    if await session.scalar(select(exists().where(
        CustomSound.app_id == app_id, CustomSound.name == sound
    ))):
        return None
    return ApiError.of(E.SOUND_INVALID, f"sound {sound!r} is not a valid sound")


async def _admit(session: AsyncSession, rt: Runtime, plans: list[_Plan],
                 outcomes: list[Outcome | None], now: datetime) -> list[_Plan]:
    """Each application's requests in arrival order against its allowance. Applications go
    in id order, so two batches on PostgreSQL lock usage rows in the same order."""
    by_app = _by_app(plans)
    admitted = []
    for app_id in sorted(by_app):
        group = by_app[app_id]
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


async def _write(session: AsyncSession, rt: Runtime, plans: list[_Plan],
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
    ids = iter((await session.scalars(_INSERT_MESSAGES, rows)).all())
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
        for app_id, group in _by_app(plans).items()
    ])


def _by_app(plans: list[_Plan]) -> dict[int, list[_Plan]]:
    """The plans of each application, in their order."""
    by_app: dict[int, list[_Plan]] = defaultdict(list)
    for plan in plans:
        by_app[plan.app.id].append(plan)
    return by_app


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
