"""How a phone alerts for a message: priority, quiet hours and sound rules, as a pure decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SILENT_SOUNDS = frozenset({"none"})


@dataclass(frozen=True)
class Prefs:
    """A user's alert settings as seen by one device."""

    quiet_start: str | None = None  # "HH:MM" in `timezone`
    quiet_end: str | None = None
    timezone: str = "UTC"
    default_sound: str = "pushover"
    always_use_default_sound: bool = False  # the device's own setting


@dataclass(frozen=True)
class Alert:
    visible: bool  # False: stored for the next sync, no notification at all (priority -2)
    sound: str | None  # None: neither sound nor vibration
    level: str  # APNs interruption-level: passive, active or time-sensitive
    urgent: bool  # deliver at once: apns-priority 10 / FCM HIGH; else power-friendly
    quiet: bool = False  # a normal message silenced by quiet hours


def decide(priority: int, sound: str | None, prefs: Prefs, now: datetime) -> Alert:
    """Pushover's rules: -2 no alert; -1 no sound or vibration; 0 normal, silenced in quiet
    hours; 1 and 2 always sound and bypass quiet hours."""
    if priority <= -2:
        return Alert(visible=False, sound=None, level="passive", urgent=False)
    if priority == -1:
        return Alert(visible=True, sound=None, level="passive", urgent=False)
    if priority == 0 and in_quiet_hours(prefs, now):
        return Alert(visible=True, sound=None, level="passive", urgent=False, quiet=True)
    level = "active" if priority == 0 else "time-sensitive"
    return Alert(visible=True, sound=choose_sound(sound, prefs), level=level, urgent=True)


def choose_sound(sound: str | None, prefs: Prefs) -> str | None:
    """The device's "always use my default" wins, then the message's sound, then the default."""
    chosen = prefs.default_sound if prefs.always_use_default_sound else (
        sound or prefs.default_sound)
    return None if chosen in SILENT_SOUNDS else chosen


def in_quiet_hours(prefs: Prefs, now: datetime) -> bool:
    """Whether `now` falls in the window [start, end) of the user's local day; a window
    whose end is before its start runs over midnight; equal ends mean no quiet hours."""
    if not (prefs.quiet_start and prefs.quiet_end) or prefs.quiet_start == prefs.quiet_end:
        return False
    start, end = _hhmm(prefs.quiet_start), _hhmm(prefs.quiet_end)
    local = now.astimezone(_zone(prefs.timezone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # the API only stores valid names; never fail a push on it
