"""The outbox's per-row backoff (issue 14, item 18): doubling per attempt, capped."""

from __future__ import annotations

from datetime import timedelta

from overpush.bus import Unroutable
from overpush.outbox_relay import MAX_BACKOFF, RETRY_CAP, retry_delay, row_delay


def test_the_delay_doubles_per_attempt() -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 8, 16]


def test_the_delay_is_capped_at_an_hour_even_after_very_many_attempts() -> None:
    assert retry_delay(12) == timedelta(seconds=2048)
    assert retry_delay(13) == RETRY_CAP == timedelta(hours=1)
    assert retry_delay(10**9) == RETRY_CAP


def test_a_fault_of_the_row_backs_off_long_and_a_fault_of_the_bus_briefly() -> None:
    assert row_delay(20, Unroutable("no consumer")) == RETRY_CAP
    assert row_delay(20, ValueError("no longer decodes")) == RETRY_CAP
    assert row_delay(20, ConnectionError("broker down")) == timedelta(seconds=MAX_BACKOFF)
    assert row_delay(1, ConnectionError("broker down")) == timedelta(seconds=1)
