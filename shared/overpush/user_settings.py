"""A user's alert settings (quiet hours, time zone, default sound) and the user JSON shape
the Open Client API answers with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from overpush import platforms
from overpush.clock import unix
from overpush.errors import ApiError, E
from overpush.models import User
from overpush.sounds import BUILTIN_SOUNDS

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
CUSTOM_SOUND = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


def apply_user_settings(user: User, params: Mapping[str, str | None]) -> None:
    """Only the parameters present change; empty quiet_start and quiet_end switch quiet
    hours off. Shared by the Open Client API and the dashboard."""
    if "quiet_start" in params or "quiet_end" in params:
        start = (params.get("quiet_start") or "").strip()
        end = (params.get("quiet_end") or "").strip()
        if (start or end) and not (HHMM.match(start) and HHMM.match(end)):
            raise ApiError.of(E.QUIET_HOURS_INVALID)
        user.quiet_start, user.quiet_end = start or None, end or None
    if "timezone" in params:
        user.timezone = _timezone((params.get("timezone") or "").strip())
    if "default_sound" in params:
        sound = (params.get("default_sound") or "").strip()
        if sound not in BUILTIN_SOUNDS and not CUSTOM_SOUND.match(sound):
            raise ApiError.of(E.DEFAULT_SOUND_INVALID)
        user.default_sound = sound


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError.of(E.TIMEZONE_INVALID) from None
    return name


def user_json(u: User, email_alias: str, licensed: set[str]) -> dict[str, Any]:
    """The user as the Open Client API answers it (login download and settings)."""
    flags = {p.license_flag: p.code in licensed for p in platforms.PLATFORMS.values()}
    return {
        "email": u.email, "created_at": unix(u.created_at),
        "quiet_hours": bool(u.quiet_start and u.quiet_end),
        "quiet_start": u.quiet_start or "", "quiet_end": u.quiet_end or "",
        "timezone": u.timezone, "default_sound": u.default_sound, **flags,
        "first_email_alias": email_alias,  # the gateway address made with the account
        "quick_quiet_until": 0, "show_team_ad": 0, "show_tipjar": 0,
    }
