"""Escalation policies for emergencies: the levels (pure checks) and their SQL.

A policy is a list of levels {"user": KEY, "after": SECONDS}; level 0 has after 0, later
levels increase. A priority-2 message sent with `escalation=<id>` goes to level 0 at once
(its `user` must be level 0's key); each later level is alerted at created + after if nobody
acknowledged by then, in addition to the earlier ones. The later levels' messages join the
same receipt, so they are re-alerted with it and an acknowledgement by anyone stops every
level and fires the callback once. The levels are copied into the receipt when it is made
(deleting or changing a policy does not change an emergency under way); `next_level_at` is
the timer, claimed FOR UPDATE SKIP LOCKED so replicas alert each level once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.errors import ApiError, E
from overpush.ids import is_key
from overpush.intake.recipients import resolve
from overpush.models import App, EscalationPolicy

if TYPE_CHECKING:  # the intake checks policies at send time: no import cycle at run time
    from overpush.intake.validate import MessageDraft

NAME_MAX = 100
LEVELS_MAX = 10
LEVELS_TEXT_MAX = 4000
PER_APP = 100
AFTER_MAX = 10800  # the longest an emergency repeats (intake.validate.EXPIRE_MAX)


@dataclass(frozen=True)
class Level:
    user: str
    after: int


def parse_levels(text: str | None) -> list[Level]:
    """The levels of a policy, or LEVELS_INVALID: a JSON list of 1 to LEVELS_MAX objects
    with a user or group key and whole seconds, 0 first, strictly increasing, within the
    longest an emergency can last."""
    try:
        if not text or len(text) > LEVELS_TEXT_MAX:
            raise ValueError("size")
        raw = json.loads(text)
        if not isinstance(raw, list) or not 1 <= len(raw) <= LEVELS_MAX:
            raise ValueError("shape")
        levels = []
        for item in raw:
            if not isinstance(item, dict) or set(item) != {"user", "after"}:
                raise ValueError("level")
            user, after = item["user"], item["after"]
            if not isinstance(user, str) or not is_key(user):
                raise ValueError("user")
            if isinstance(after, bool) or not isinstance(after, int):
                raise ValueError("after")
            levels.append(Level(user, after))
    except ValueError:  # json.JSONDecodeError is one
        raise ApiError.of(E.LEVELS_INVALID) from None
    afters = [lv.after for lv in levels]
    if afters[0] != 0 or any(b <= a for a, b in pairwise(afters)) \
            or afters[-1] > AFTER_MAX:
        raise ApiError.of(E.LEVELS_INVALID)
    return levels


def dump_levels(levels: Sequence[Level]) -> str:
    return json.dumps([{"user": lv.user, "after": lv.after} for lv in levels])


def load_levels(text: str) -> list[Level]:
    return [Level(str(d["user"]), int(d["after"])) for d in json.loads(text)]


def parse_name(text: str | None) -> str:
    name = (text or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise ApiError.of(E.ESCALATION_NAME_INVALID)
    return name


def parse_id(text: str | None) -> int:
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ApiError.of(E.ESCALATION_NOT_FOUND)
    return int(value)


def view(policy: EscalationPolicy) -> dict[str, Any]:
    return {"escalation": policy.id, "name": policy.name,
            "levels": [{"user": lv.user, "after": lv.after}
                       for lv in load_levels(policy.levels)]}


def next_level_at(created: datetime, levels: Sequence[Level], alerted: int) -> datetime | None:
    """When the level after `alerted` is due, or None when every level has been alerted."""
    if alerted + 1 >= len(levels):
        return None
    return created + timedelta(seconds=levels[alerted + 1].after)


async def create(session: AsyncSession, app: App, name: str, levels: list[Level],
                 now: datetime) -> EscalationPolicy:
    count = await session.scalar(
        select(func.count()).where(EscalationPolicy.app_id == app.id))
    if (count or 0) >= PER_APP:
        raise ApiError.of(E.TOO_MANY_ESCALATIONS)
    for level in levels:  # every level must reach someone now (as a send would)
        await resolve(session, (level.user,), (), app.id)
    policy = EscalationPolicy(app_id=app.id, name=name, levels=dump_levels(levels),
                              created_at=now)
    session.add(policy)
    await session.flush()
    return policy


async def of_app(session: AsyncSession, app_id: int) -> list[EscalationPolicy]:
    return list((await session.scalars(
        select(EscalationPolicy).where(EscalationPolicy.app_id == app_id)
        .order_by(EscalationPolicy.id))).all())


async def owned(session: AsyncSession, app_id: int, policy_id: int) -> EscalationPolicy:
    policy = await session.scalar(select(EscalationPolicy).where(
        EscalationPolicy.id == policy_id, EscalationPolicy.app_id == app_id))
    if policy is None:
        raise ApiError.of(E.ESCALATION_NOT_FOUND)
    return policy


async def remove(session: AsyncSession, app_id: int, policy_id: int) -> None:
    policy = await owned(session, app_id, policy_id)
    await session.execute(delete(EscalationPolicy).where(EscalationPolicy.id == policy.id))


async def for_send(session: AsyncSession, app_id: int, draft: MessageDraft) -> str:
    """The levels (as stored in the receipt) for a send naming `draft.escalation`: the
    application's own policy, at priority 2, with `user` equal to level 0's key."""
    assert draft.escalation is not None
    if draft.priority != 2:
        raise ApiError.of(E.ESCALATION_PRIORITY)
    policy = await owned(session, app_id, draft.escalation)
    levels = load_levels(policy.levels)
    if draft.users != (levels[0].user,):
        raise ApiError.of(E.ESCALATION_USER_MISMATCH)
    return policy.levels
