"""Every event on the bus: frozen pydantic models named in the past tense.

Events carry ids and the fields consumers route on; the database holds the truth.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from overpush.ids import event_id


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    routing_key: ClassVar[str]
    # Durable events survive a broker restart and must reach a consumer queue; signals
    # (nudges) are fire-and-forget: a device that misses one syncs when it reconnects.
    durable: ClassVar[bool] = True
    # Consumers dedupe on this id: delivery is at least once.
    event_id: str = Field(default_factory=event_id)


class MessageAccepted(Event):
    """The API committed messages (one row per recipient user) from one request."""

    routing_key: ClassVar[str] = "message.accepted"
    message_ids: list[int]
    app_id: int
    priority: int


class DevicesNudged(Event):
    """Devices have new messages; every api instance tells the ones connected to it."""

    routing_key: ClassVar[str] = "devices.nudged"
    durable: ClassVar[bool] = False
    device_ids: list[str]  # public device ids


class ReceiptsRetryDue(Event):
    """Emergency receipts whose repeat time came: their messages are to be re-alerted."""

    routing_key: ClassVar[str] = "receipt.retry_due"
    receipt_ids: list[int]


class ReceiptAcknowledged(Event):
    """A recipient acknowledged an emergency message; its callback (if any) is due."""

    routing_key: ClassVar[str] = "receipt.acknowledged"
    receipt_id: int


EVENT_TYPES: dict[str, type[Event]] = {
    cls.routing_key: cls
    for cls in (MessageAccepted, DevicesNudged, ReceiptsRetryDue, ReceiptAcknowledged)
}


def decode(routing_key: str, body: bytes | str) -> Event:
    return EVENT_TYPES[routing_key].model_validate_json(body)
