"""Monthly periods reset at 00:00 US Central on the 1st, whatever DST does (spec §1.4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from overpush.clock import FixedClock
from overpush.quota import PACKS, Allowance, combine, period_of


@pytest.mark.parametrize(("utc", "key", "reset_utc"), [
    # Central Standard Time (UTC-6): the reset of 1 Dec is 06:00 UTC.
    (datetime(2026, 11, 30, 5, 59, 59, tzinfo=UTC),
     "2026-11", datetime(2026, 12, 1, 6, tzinfo=UTC)),
    (datetime(2026, 12, 1, 5, 59, 59, tzinfo=UTC),
     "2026-11", datetime(2026, 12, 1, 6, tzinfo=UTC)),
    (datetime(2026, 12, 1, 6, 0, 0, tzinfo=UTC),
     "2026-12", datetime(2027, 1, 1, 6, tzinfo=UTC)),
    # Central Daylight Time (UTC-5): the reset of 1 Apr is 05:00 UTC.
    (datetime(2027, 4, 1, 4, 59, 59, tzinfo=UTC),
     "2027-03", datetime(2027, 4, 1, 5, tzinfo=UTC)),
    (datetime(2027, 4, 1, 5, 0, 0, tzinfo=UTC),
     "2027-04", datetime(2027, 5, 1, 5, tzinfo=UTC)),
    # March holds the spring-forward (14 Mar 2027): its period started in CST, ends in CDT.
    (datetime(2027, 3, 14, 8, 30, tzinfo=UTC),
     "2027-03", datetime(2027, 4, 1, 5, tzinfo=UTC)),
    (datetime(2027, 3, 1, 5, 59, 59, tzinfo=UTC),
     "2027-02", datetime(2027, 3, 1, 6, tzinfo=UTC)),
    # November holds the fall-back (7 Nov 2027): 1 Nov is still CDT, 1 Dec is CST.
    (datetime(2027, 11, 1, 4, 59, 59, tzinfo=UTC),
     "2027-10", datetime(2027, 11, 1, 5, tzinfo=UTC)),
    (datetime(2027, 11, 7, 6, 30, tzinfo=UTC),
     "2027-11", datetime(2027, 12, 1, 6, tzinfo=UTC)),
    # New Year.
    (datetime(2027, 1, 1, 5, 59, 59, tzinfo=UTC),
     "2026-12", datetime(2027, 1, 1, 6, tzinfo=UTC)),
])
def test_period_boundaries_across_dst(utc: datetime, key: str, reset_utc: datetime) -> None:
    clock = FixedClock(utc)
    period = period_of(clock.now())
    assert period.key == key
    assert period.reset_at == reset_utc


def test_a_fixed_clock_crossing_the_reset_changes_period() -> None:
    clock = FixedClock(datetime(2027, 4, 1, 4, 59, 59, tzinfo=UTC))
    before = period_of(clock.now())
    clock.advance(1)
    after = period_of(clock.now())
    assert (before.key, after.key) == ("2027-03", "2027-04")
    assert after.reset_at.timestamp() - before.reset_at.timestamp() == 30 * 86400


def test_purchased_capacity_counts_in_limit_and_remaining() -> None:
    assert combine(7500, 7000, 10_000, 1) == Allowance(17_500, 10_500, 1)
    assert combine(7500, 7500, 0, 1).remaining == 0
    assert PACKS == (10_000, 25_000, 50_000, 100_000, 500_000)
