"""The provider seam: hand pushes to a vendor, get an Outcome per push (never an exception)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from services.dispatcher.fanout import Target

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
    phone: PhoneMessage | None = None  # what APNs/FCM carry; None for desktops


class Provider(Protocol):
    platforms: frozenset[str]  # device `os` codes this provider serves

    async def send(self, pushes: Sequence[Push]) -> Sequence[Outcome | Result]: ...


def as_result(answer: Outcome | Result) -> Result:
    return answer if isinstance(answer, Result) else Result(answer)
