"""Monthly application allowances: periods in US Central time, and exact admission.

Pushover resets every application's count at 00:00 US Central on the 1st of each month; the
period key is that month, so DST changes move the reset instant with the local clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.db import InsertIgnore, PerDialect, insert_ignore, table_of
from overpush.models import App, AppCapacity, AppUsage, DailyUsage

CENTRAL = ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class Period:
    key: str  # "YYYY-MM"
    reset_at: datetime  # the next reset, timezone-aware


def period_of(now: datetime) -> Period:
    local = now.astimezone(CENTRAL)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    reset = datetime(year, month, 1, tzinfo=CENTRAL)
    return Period(f"{local.year:04d}-{local.month:02d}", reset)


@dataclass(frozen=True)
class Allowance:
    limit: int  # the monthly allowance plus purchased capacity still unused
    remaining: int
    reset: int  # unix seconds

    def headers(self) -> dict[str, str]:
        return {
            "X-Limit-App-Limit": str(self.limit),
            "X-Limit-App-Remaining": str(max(self.remaining, 0)),
            "X-Limit-App-Reset": str(self.reset),
        }


def combine(monthly: int, used: int, purchased: int, reset: int) -> Allowance:
    """What clients see: purchased capacity counts towards both the limit and what is left."""
    return Allowance(monthly + purchased, max(monthly - used, 0) + purchased, reset)


# The usual path of every admission: built once.
_USAGE_ROW = InsertIgnore(AppUsage, ["app_id", "period"])
_U = table_of(AppUsage)
_TAKE = (
    update(_U)
    .where(_U.c.app_id == bindparam("b_app"), _U.c.period == bindparam("b_period"),
           _U.c.used + bindparam("n") <= bindparam("limit"))
    .values(used=_U.c.used + bindparam("n"), last_take=bindparam("n"))
    .returning(_U.c.used)
)


def _take_upsert(dialect: Any) -> Any:
    """Create the month's usage row with `n` taken, or add `n` to it if they fit: one
    statement for the usual admission. No row comes back when they do not fit."""
    stmt = dialect.insert(_U).values(app_id=bindparam("b_app"), period=bindparam("b_period"),
                                     used=bindparam("n"), last_take=bindparam("n"))
    return stmt.on_conflict_do_update(
        index_elements=["app_id", "period"],
        set_={"used": _U.c.used + stmt.excluded.used, "last_take": stmt.excluded.last_take},
        where=_U.c.used + stmt.excluded.used <= bindparam("limit"),
    ).returning(_U.c.used)


_TAKE_UPSERT = PerDialect(_take_upsert)
_C = table_of(AppCapacity)
_PURCHASED = select(_C.c.remaining).where(_C.c.app_id == bindparam("app_id"))
# An application's purchased capacity left, as a column of a query on applications.
PURCHASED_OF_APP = select(_C.c.remaining).where(_C.c.app_id == table_of(App).c.id) \
    .correlate(table_of(App)).scalar_subquery()


async def _take_if_fits(session: AsyncSession, app_id: int, period: str, n: int,
                        limit: int) -> int | None:
    """Take `n` of the monthly allowance if they fit (one conditional UPDATE, which locks
    the usage row until commit); the count used after, or None when nothing was taken."""
    if n <= limit:  # the row may be created with `n` taken
        taken: int | None = await session.scalar(
            _TAKE_UPSERT.on(session),
            {"b_app": app_id, "b_period": period, "n": n, "limit": limit})
        return taken
    # More than the whole allowance: nothing is taken, but the row must exist for `reserve`
    # to take what is left of it (and then purchased capacity).
    await session.execute(_USAGE_ROW.on(session),
                          {"app_id": app_id, "period": period, "used": 0})
    used: int | None = await session.scalar(
        _TAKE, {"b_app": app_id, "b_period": period, "n": n, "limit": limit})
    return used


async def reserve(
    session: AsyncSession, app_id: int, count: int, limit: int, now: datetime
) -> tuple[bool, Allowance]:
    """Admit `count` messages if they fit, with conditional UPDATEs (never read-then-write),
    so concurrent requests can never together exceed the allowance plus purchased capacity.

    The monthly allowance is used first, then purchased capacity. (False, ...) leaves the
    counts as they were, so a refusal can share a transaction with other admissions.
    """
    period = period_of(now)
    reset = int(period.reset_at.timestamp())
    used = await _take_if_fits(session, app_id, period.key, count, limit)
    if used is not None:
        return True, combine(limit, used, await _purchased(session, app_id), reset)
    purchased = await _purchased(session, app_id)
    if purchased <= 0:  # nothing bought: the answer is no, and nothing was written
        used = await _used(session, app_id, period.key)
        return False, combine(limit, used, 0, reset)
    # Take what is left of the allowance (the row lock makes this exact) ...
    row = AppUsage.app_id == app_id, AppUsage.period == period.key
    left = case((AppUsage.used >= limit, 0), else_=limit - AppUsage.used)
    take_expr = case((left < count, left), else_=count)
    took = (await session.execute(
        update(AppUsage).where(*row)
        .values(last_take=take_expr, used=AppUsage.used + take_expr)
        .returning(AppUsage.last_take, AppUsage.used)
    )).one()
    # ... and the rest from purchased capacity, only if enough remains.
    rest = count - took.last_take
    remaining = await session.scalar(
        update(AppCapacity)
        .where(AppCapacity.app_id == app_id, AppCapacity.remaining >= rest)
        .values(remaining=AppCapacity.remaining - rest)
        .returning(AppCapacity.remaining)
    )
    if remaining is None:
        if took.last_take:  # give back what was taken from the allowance (row still locked)
            await session.execute(update(AppUsage).where(*row).values(
                used=AppUsage.used - took.last_take, last_take=0))
        before = took.used - took.last_take
        return False, combine(limit, before, await _purchased(session, app_id), reset)
    return True, combine(limit, took.used, remaining, reset)


async def reserve_many(
    session: AsyncSession, app_id: int, counts: Sequence[int], limit: int, now: datetime,
    purchased: int | None = None,
) -> list[tuple[bool, Allowance]]:
    """`reserve` for several requests of one application, in order, as one group commit
    does: one conditional UPDATE when they all fit in the monthly allowance (the usual case,
    with statements built once), else one `reserve` each, so each request is admitted or
    refused exactly as if alone. `purchased`: the capacity left, when the caller read it
    with the application (it is only reported in the answer's headers on this path)."""
    period = period_of(now)
    total = sum(counts)
    used = await _take_if_fits(session, app_id, period.key, total, limit)
    if used is None:
        return [await reserve(session, app_id, n, limit, now) for n in counts]
    if purchased is None:
        purchased = await _purchased(session, app_id)
    reset = int(period.reset_at.timestamp())
    taken = accumulate(counts, initial=used - total)
    next(taken)  # what was used before the first of them
    return [(True, combine(limit, after, purchased, reset)) for after in taken]


async def _purchased(session: AsyncSession, app_id: int) -> int:
    value = await session.scalar(_PURCHASED, {"app_id": app_id})
    return value or 0


async def _used(session: AsyncSession, app_id: int, period: str) -> int:
    value = await session.scalar(
        select(AppUsage.used).where(AppUsage.app_id == app_id, AppUsage.period == period)
    )
    return value or 0


async def allowance(session: AsyncSession, app_id: int, limit: int, now: datetime) -> Allowance:
    period = period_of(now)
    used = await _used(session, app_id, period.key)
    return combine(limit, used, await _purchased(session, app_id),
                   int(period.reset_at.timestamp()))


PACKS = (10_000, 25_000, 50_000, 100_000, 500_000)


async def add_capacity(session: AsyncSession, app_id: int, amount: int) -> int:
    """Add one purchased pack; returns the capacity now remaining. Never reset monthly."""
    if amount not in PACKS:
        raise ValueError(f"capacity comes in packs of {', '.join(map(str, PACKS))}")
    await session.execute(insert_ignore(
        session, AppCapacity, [{"app_id": app_id, "remaining": 0, "purchased": 0}], ["app_id"]
    ))
    remaining: int = (await session.execute(
        update(AppCapacity).where(AppCapacity.app_id == app_id)
        .values(remaining=AppCapacity.remaining + amount,
                purchased=AppCapacity.purchased + amount)
        .returning(AppCapacity.remaining)
    )).scalar_one()
    return remaining


TEAM_MONTHLY_LIMIT = 25_000


class Limited(Protocol):
    """What decides an application's allowance: an App, or the intake's lean row of one."""

    @property
    def monthly_limit(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...


def limit_of(app: Limited, default: int) -> int:
    """An application's monthly allowance: its own when set (0 switches it off), else a
    team's application gets TEAM_MONTHLY_LIMIT, else the installation's default."""
    if app.monthly_limit is not None:
        return app.monthly_limit
    return TEAM_MONTHLY_LIMIT if app.team_id is not None else default


async def limit_headers(session: AsyncSession, app: App, default_limit: int,
                        now: datetime) -> dict[str, str]:
    """The X-Limit-App-* headers for an application's answers outside messages.json."""
    return (await allowance(session, app.id, limit_of(app, default_limit), now)).headers()


# Daily usage (the quota service counts it for usage reports), per US Central day. Built
# once: this runs for every accepted batch.
_D = table_of(DailyUsage)


def _count_day(dialect: Any) -> Any:
    """The day's row with `n` messages, or `n` more on it: one statement."""
    stmt = dialect.insert(_D)
    return stmt.on_conflict_do_update(index_elements=["app_id", "day"],
                                      set_={"messages": _D.c.messages + stmt.excluded.messages})


_COUNT_DAY = PerDialect(_count_day)


async def count_daily(session: AsyncSession, app_id: int, now: datetime, n: int) -> None:
    """Add `n` messages to the application's count for `now`'s day, in the caller's
    transaction."""
    day = now.astimezone(CENTRAL).date()
    await session.execute(_COUNT_DAY.on(session),
                          {"app_id": app_id, "day": day, "messages": n})
