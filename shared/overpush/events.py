"""Every event on the bus: frozen pydantic models named in the past tense.

Events carry ids and the fields consumers route on; the database holds the truth.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from overpush.ids import event_id

# Every event class by routing key, filled as the classes are defined (Event below): a
# consumer can decode whatever a publisher sends, on either bus.
EVENT_TYPES: dict[str, type[Event]] = {}


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    routing_key: ClassVar[str]
    # Durable events survive a broker restart and must reach a consumer queue; signals
    # (nudges) are fire-and-forget: a device that misses one syncs when it reconnects.
    durable: ClassVar[bool] = True
    # Consumers dedupe on this id: delivery is at least once.
    event_id: str = Field(default_factory=event_id)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        key = cls.__dict__.get("routing_key")
        if not isinstance(key, str) or key in EVENT_TYPES:
            raise TypeError(f"{cls.__name__} needs a routing_key of its own")
        EVENT_TYPES[key] = cls

    def address(self) -> str | None:
        """The one subscriber this event is for (a broadcast subscriber that named itself so,
        see overpush.bus), or None: every subscriber of its routing key."""
        return None


class MessageAccepted(Event):
    """The API committed messages (one row per recipient user) from one request."""

    routing_key: ClassVar[str] = "message.accepted"
    message_ids: list[int]
    app_id: int
    priority: int


class DevicesNudged(Event):
    """Send these devices a one-byte frame on their WebSocket, wherever it is held: every api
    instance holding one of their connections sends it (and closes it when `close` is set).
    Publish it with `overpush.presence.publish`, which addresses it to the instances that
    hold the devices (`instance`); with no `instance` every api instance hears it.

    One event for every frame (spec §9.1): `!` new messages (the nudge), `E` log in again
    (the secret was revoked, the device deleted or disabled), `A` the device was opened
    elsewhere, `R` reconnect. `spare` names a connection that must not get it: the new
    connection whose log-in ends the older ones with `A`.
    """

    routing_key: ClassVar[str] = "devices.nudged"
    durable: ClassVar[bool] = False
    device_ids: list[str]  # public device ids
    frame: Literal["!", "E", "A", "R"] = "!"
    close: bool = False
    spare: str | None = None  # a connection id (Connections.add) left alone
    instance: str | None = None  # the api instance holding the devices; None: every instance

    def address(self) -> str | None:
        return self.instance


class ReceiptsRetryDue(Event):
    """Emergency receipts whose repeat time came: their messages are to be re-alerted."""

    routing_key: ClassVar[str] = "receipt.retry_due"
    receipt_ids: list[int]


class ReceiptAcknowledged(Event):
    """A recipient acknowledged an emergency message; its callback (if any) is due."""

    routing_key: ClassVar[str] = "receipt.acknowledged"
    receipt_id: int


def encode(event: Event) -> bytes:
    """The bytes both buses carry (RabbitMQ's message body, the in-process queues' items)."""
    return event.model_dump_json().encode()


def decode(routing_key: str, body: bytes | str) -> Event:
    return EVENT_TYPES[routing_key].model_validate_json(body)
