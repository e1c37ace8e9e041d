"""Monthly application allowances: periods in US Central time, and exact admission.

Pushover resets every application's count at 00:00 US Central on the 1st of each month; the
period key is that month, so DST changes move the reset instant with the local clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.db import insert_ignore
from overpush.models import AppUsage

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
    limit: int
    remaining: int
    reset: int  # unix seconds

    def headers(self) -> dict[str, str]:
        return {
            "X-Limit-App-Limit": str(self.limit),
            "X-Limit-App-Remaining": str(max(self.remaining, 0)),
            "X-Limit-App-Reset": str(self.reset),
        }


async def reserve(
    session: AsyncSession, app_id: int, count: int, limit: int, now: datetime
) -> tuple[bool, Allowance]:
    """Admit `count` messages if they fit, in one conditional UPDATE (never read-then-write),
    so concurrent requests can never together exceed the limit."""
    period = period_of(now)
    reset = int(period.reset_at.timestamp())
    await session.execute(insert_ignore(
        session, AppUsage, [{"app_id": app_id, "period": period.key, "used": 0}],
        ["app_id", "period"],
    ))
    used = await session.scalar(
        update(AppUsage)
        .where(AppUsage.app_id == app_id, AppUsage.period == period.key,
               AppUsage.used + count <= limit)
        .values(used=AppUsage.used + count)
        .returning(AppUsage.used)
    )
    if used is not None:
        return True, Allowance(limit, limit - used, reset)
    current = await session.scalar(
        select(AppUsage.used).where(AppUsage.app_id == app_id, AppUsage.period == period.key)
    )
    return False, Allowance(limit, limit - (current or 0), reset)


async def allowance(session: AsyncSession, app_id: int, limit: int, now: datetime) -> Allowance:
    period = period_of(now)
    used = await session.scalar(
        select(AppUsage.used).where(AppUsage.app_id == app_id, AppUsage.period == period.key)
    )
    return Allowance(limit, limit - (used or 0), int(period.reset_at.timestamp()))
