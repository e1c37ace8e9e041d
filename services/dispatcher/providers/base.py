"""The provider seam: hand pushes to a vendor, get an Outcome per push (never an exception)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Protocol

from overpush.delivery.fanout import Target

if TYPE_CHECKING:
    from services.dispatcher.providers.phone import PhoneMessage


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Result:
    """An Outcome with what the vendor said: a RETRY may carry its Retry-After."""

    outcome: Outcome
    retry_after: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class Push:
    target: Target
    message_id: int
    priority: int
    phone: PhoneMessage | None = None  # what payload channels carry; None for a nudge
    realert: bool = False  # an emergency's repeated alert (a browser notifies again)


class Provider(Protocol):
    """Serves the channels of the platform table (overpush.platforms) that name it."""

    name: str  # Channel.provider

    async def send(self, pushes: Sequence[Push]) -> Sequence[Outcome | Result]: ...

    async def close(self) -> None: ...


def as_result(answer: Outcome | Result) -> Result:
    return answer if isinstance(answer, Result) else Result(answer)


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
