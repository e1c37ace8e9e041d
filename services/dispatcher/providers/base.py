"""The provider seam: hand pushes to a vendor, get an Outcome per push (never an exception)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

from overpush.delivery.push import Outcome, Push, Result


class Provider(Protocol):
    """Serves the channels of the platform table (overpush.platforms) that name it."""

    name: str  # Channel.provider

    async def send(self, pushes: Sequence[Push]) -> Sequence[Outcome | Result]: ...

    async def close(self) -> None: ...


def unsendable(push: Push) -> Result | None:
    """Why a phone push cannot go to any vendor at all, or None: the same rule for APNs and
    FCM, decided before either is called."""
    pm = push.phone
    if pm is None:
        return Result(Outcome.REJECTED, reason="no push token")
    if pm.ttl is not None and pm.ttl <= 0:
        return Result(Outcome.REJECTED, reason="expired")
    return None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value) - now).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
