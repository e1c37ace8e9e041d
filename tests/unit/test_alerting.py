"""The alert decision over a fixed clock: priorities, quiet hours in the user's zone, sounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from overpush.delivery.alerting import Prefs, choose_sound, decide, in_quiet_hours

# 23:30 in Berlin (UTC+1 in November), 22:30 UTC.
LATE = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
BERLIN_NIGHTS = Prefs(quiet_start="23:00", quiet_end="07:00", timezone="Europe/Berlin")


def test_priorities_outside_quiet_hours() -> None:
    p = Prefs(default_sound="bike")
    assert decide(-2, "siren", p, NOON).visible is False
    low = decide(-1, "siren", p, NOON)
    assert (low.visible, low.sound, low.urgent, low.level) == (True, None, False, "passive")
    normal = decide(0, None, p, NOON)
    assert (normal.sound, normal.urgent, normal.level) == ("bike", True, "active")
    high = decide(1, "siren", p, NOON)
    assert (high.sound, high.urgent, high.level) == ("siren", True, "time-sensitive")


def test_quiet_hours_silence_normal_but_not_high() -> None:
    normal = decide(0, "siren", BERLIN_NIGHTS, LATE)
    assert (normal.visible, normal.sound, normal.quiet, normal.urgent) == (True, None, True, False)
    high = decide(1, "siren", BERLIN_NIGHTS, LATE)
    assert (high.sound, high.quiet, high.urgent) == ("siren", False, True)
    assert decide(2, "siren", BERLIN_NIGHTS, LATE).sound == "siren"
    assert decide(0, "siren", BERLIN_NIGHTS, NOON).sound == "siren"


@pytest.mark.parametrize(("utc_hour", "quiet"), [
    (21, False),  # 22:00 Berlin
    (22, True),   # 23:00 Berlin: the start is inside
    (3, True),    # 04:00 Berlin, after midnight
    (6, False),   # 07:00 Berlin: the end is outside
])
def test_window_over_midnight_in_the_users_zone(utc_hour: int, quiet: bool) -> None:
    now = datetime(2026, 11, 26, utc_hour, 0, tzinfo=UTC)
    assert in_quiet_hours(BERLIN_NIGHTS, now) is quiet


def test_daytime_window_and_no_window() -> None:
    office = Prefs(quiet_start="09:00", quiet_end="17:00", timezone="UTC")
    assert in_quiet_hours(office, NOON) is True
    assert in_quiet_hours(office, LATE) is False
    assert in_quiet_hours(Prefs(), NOON) is False
    assert in_quiet_hours(Prefs(quiet_start="09:00", quiet_end="09:00"), NOON) is False


def test_sound_rules() -> None:
    assert choose_sound("siren", Prefs(default_sound="bike")) == "siren"
    assert choose_sound(None, Prefs(default_sound="bike")) == "bike"
    assert choose_sound("siren", Prefs(default_sound="bike", always_use_default_sound=True)) \
        == "bike"
    assert choose_sound("none", Prefs()) is None
    assert choose_sound("vibrate", Prefs()) == "vibrate"
