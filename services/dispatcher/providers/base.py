"""The provider seam: hand pushes to a vendor, get an Outcome per push (never an exception)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.dispatcher.fanout import Target


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Push:
    target: Target
    message_id: int
    priority: int


class Provider(Protocol):
    platforms: frozenset[str]  # device `os` codes this provider serves

    async def send(self, pushes: Sequence[Push]) -> list[Outcome]: ...
