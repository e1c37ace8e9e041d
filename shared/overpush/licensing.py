"""Platform licences: the state of one account on one platform at one instant (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Device `os` codes and the platform names the API speaks (validate.json, assign.json `os`).
PLATFORMS = {"I": "iOS", "A": "Android", "O": "Desktop"}


class State(StrEnum):
    NONE = "none"  # no device of this platform yet: no trial has begun
    TRIAL = "trial"
    GRACE = "grace"  # the trial is over; delivery goes on for the grace period
    LICENSED = "licensed"
    TEAM = "team"  # team members need no platform licences
    EXPIRED = "expired"


@dataclass(frozen=True)
class Terms:
    enforced: bool
    trial: timedelta
    grace: timedelta


def platform_state(trial_started_at: datetime | None, licensed_at: datetime | None,
                   now: datetime, terms: Terms, team_member: bool = False) -> State:
    """A licence (or team membership) always wins; otherwise the trial runs for `trial` from
    the first device, then `grace` more, both half-open: at exactly trial end it is GRACE, at
    exactly grace end EXPIRED."""
    if licensed_at is not None:
        return State.LICENSED
    if team_member:
        return State.TEAM
    if trial_started_at is None:
        return State.NONE
    if now < trial_started_at + terms.trial:
        return State.TRIAL
    if now < trial_started_at + terms.trial + terms.grace:
        return State.GRACE
    return State.EXPIRED


def may_deliver(state: State, terms: Terms) -> bool:
    """Whether the dispatcher queues messages to devices in this state."""
    return not terms.enforced or state is not State.EXPIRED


def is_licensed(state: State, terms: Terms) -> bool:
    """What clients are told (is_ios_licensed, validate.json `licenses`): with enforcement
    off every platform is licensed, since nothing will ever stop."""
    return not terms.enforced or state in (State.LICENSED, State.TEAM)


def platform_code(name: str) -> str | None:
    """"iOS"/"Android"/"Desktop" (any case) or the os code itself -> the os code."""
    clean = name.strip()
    if clean in PLATFORMS:
        return clean
    return next((code for code, n in PLATFORMS.items() if n.lower() == clean.lower()), None)
