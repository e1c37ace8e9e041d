"""dedup_key within a group commit: each key claimed once, in a fixed order; the requests
that repeat an open message are answered with it and cost nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from overpush import dedup
from overpush.intake.plans import Accepted, Outcome, Plan
from overpush.quota import allowance as allowance_now
from overpush.quota import limit_of
from overpush.runtime import Runtime


async def claim_keys(session: AsyncSession, plans: list[Plan], now: datetime) -> list[Plan]:
    """Claim each dedup key (in a fixed order, so two intakes never wait on each other in a
    cycle); the plans that found their key open are returned, with `leader` set to the
    request holding it."""
    keyed = []
    for plan in plans:
        draft = plan.request.draft
        if draft.dedup_key:
            keyed.append((dedup.scope_of(plan.app.id, draft.users, draft.dedup_key), plan))
    first: dict[dedup.Scope, Plan] = {}
    dups: list[Plan] = []
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


async def release_refused(session: AsyncSession, plans: list[Plan],
                          outcomes: list[Outcome | None]) -> None:
    for plan in plans:
        if plan.scope is not None and isinstance(outcomes[plan.index], BaseException):
            await dedup.release(session, plan.scope, plan.request.request_id)


async def answer_dups(session: AsyncSession, rt: Runtime, dups: list[Plan],
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
