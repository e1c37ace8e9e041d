"""What the intake's group commit passes around: requests, their plans and outcomes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from overpush import dedup
from overpush.intake.recipients import Recipient
from overpush.intake.validate import MessageDraft
from overpush.quota import Allowance


@dataclass(frozen=True, slots=True)
class Sender:
    """The sending application, as far as the intake needs it."""

    id: int
    token: str
    monthly_limit: int | None
    team_id: int | None
    purchased: int  # capacity bought and left, read with the app (for the answer's headers)


@dataclass(frozen=True)
class Request:
    draft: MessageDraft
    request_id: str
    source: str  # "api", "email", "dashboard", "scheduled": the accepted-messages label
    receipt: str | None = None  # a scheduled priority-2 message's receipt, given in advance


@dataclass(frozen=True)
class Accepted:
    message_ids: list[int]
    allowance: Allowance
    receipt: str | None = None  # priority 2 only
    # A dedup_key send while its message is open: nothing was written; `request_id` is the
    # first request's.
    deduplicated: bool = False
    request_id: str | None = None
    scheduled: str | None = None  # a send_at request: the scheduled message's id


@dataclass
class Plan:
    """A request that passed its lookups, on its way to admission and its rows."""

    index: int
    request: Request
    app: Sender
    recipients: list[Recipient]
    allowance: Allowance | None = None
    message_ids: list[int] = field(default_factory=list)
    receipt: str | None = None
    # dedup_key only: the key this request claimed, or the open message it repeats (the
    # request holding it, or the plan of this batch that claimed it first).
    scope: dedup.Scope | None = None
    holder: str | None = None
    leader: Plan | None = None
    escalation: str | None = None  # the levels of the escalation policy it names


Outcome = Accepted | BaseException


def by_app(plans: list[Plan]) -> dict[int, list[Plan]]:
    """The plans of each application, in their order."""
    by_app: dict[int, list[Plan]] = defaultdict(list)
    for plan in plans:
        by_app[plan.app.id].append(plan)
    return by_app
