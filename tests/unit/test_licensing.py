"""Platform licence state at each edge, over a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from overpush.licenses import State, Terms, is_licensed, may_deliver, platform_state
from overpush.platforms import platform_code

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ON = Terms(True, timedelta(days=7), timedelta(hours=24))
OFF = Terms(False, timedelta(days=7), timedelta(hours=24))
TICK = timedelta(microseconds=1)


def at(delta: timedelta, licensed_at: datetime | None = None, team: bool = False) -> State:
    return platform_state(T0, licensed_at, T0 + delta, ON, team)


def test_trial_starts_with_the_first_device_and_lasts_seven_days() -> None:
    assert platform_state(None, None, T0, ON) is State.NONE
    assert at(timedelta(0)) is State.TRIAL
    assert at(timedelta(days=7) - TICK) is State.TRIAL
    assert at(timedelta(days=7)) is State.GRACE


def test_grace_lasts_a_day_then_delivery_stops() -> None:
    assert at(timedelta(days=8) - TICK) is State.GRACE
    assert may_deliver(at(timedelta(days=8) - TICK), ON)
    assert at(timedelta(days=8)) is State.EXPIRED
    assert not may_deliver(at(timedelta(days=8)), ON)


def test_licence_wins_in_trial_grace_and_after() -> None:
    for delta in (timedelta(0), timedelta(days=7, hours=3), timedelta(days=30)):
        state = at(delta, licensed_at=T0 + timedelta(days=7, hours=1))
        assert state is State.LICENSED and may_deliver(state, ON) and is_licensed(state, ON)
    assert not is_licensed(at(timedelta(days=1)), ON)  # a trial is not a licence


def test_team_members_need_no_licence() -> None:
    state = at(timedelta(days=100), team=True)
    assert state is State.TEAM and may_deliver(state, ON) and is_licensed(state, ON)


def test_enforcement_off_delivers_and_reports_licensed() -> None:
    state = platform_state(T0, None, T0 + timedelta(days=100), OFF)
    assert state is State.EXPIRED
    assert may_deliver(state, OFF) and is_licensed(state, OFF)


def test_platform_names() -> None:
    assert [platform_code(n) for n in ("iOS", "android", "Desktop", "O", "tv", "")] == [
        "I", "A", "O", "O", None, None]
