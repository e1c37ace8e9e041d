"""What the dispatcher hands a provider (a Push, with the PhoneMessage a payload channel
carries) and what a provider answers (an Outcome, or a Result with the vendor's words). The
delivery SQL reads and writes these; the vendor adapters (services/dispatcher/providers) make
and consume them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from overpush.delivery.alerting import Alert
from overpush.delivery.fanout import Target


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


def as_result(answer: Outcome | Result) -> Result:
    return answer if isinstance(answer, Result) else Result(answer)


@dataclass(frozen=True)
class PhoneMessage:
    token: str  # the APNs device token or FCM registration token
    device_id: str  # public id; also the encryption's associated data
    key: str | None  # the device's AES key when it asked for encryption
    message_id: int
    title: str
    body: str
    url: str | None
    badge: int  # messages waiting in the device's queue
    alert: Alert
    ttl: int | None  # seconds until the message expires (Pushover's ttl), None: no expiry
    attempts: int = 0  # tries counted so far: 0 for a first push, n for the n-th (claimed)
    # What a browser's notification shows besides (Web Push builds its payload from these).
    app: str = ""
    app_id: int = 0
    url_title: str | None = None
    html: bool = False
    sent_at: int = 0  # the message's `date`, Unix seconds
    receipt: str | None = None  # an emergency's receipt: acknowledged from the notification
    encrypted: bool = False  # end-to-end encrypted by the sender (encrypted=1): fields as sent
    attachment: str | None = None  # the image's URL (GET with secret and device_id)


@dataclass(frozen=True)
class Push:
    target: Target
    message_id: int
    priority: int
    phone: PhoneMessage | None = None  # what payload channels carry; None for a nudge
    realert: bool = False  # an emergency's repeated alert (a browser notifies again)
