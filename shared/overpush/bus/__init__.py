"""The bus seam: one contract, an in-process and a RabbitMQ implementation."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from overpush.events import Event

Handler = Callable[[Event], Awaitable[None]]
Gap = Callable[[], Awaitable[None]]


class Unroutable(Exception):
    """A durable event was published while no consumer group subscribes to it.

    Raised by both buses, so the outbox keeps the event and tries again later instead of
    dropping it (RabbitMQ: a `mandatory` publish came back)."""


# A subscriber's address is a word of a RabbitMQ routing key: no dots, no wildcards.
ADDRESS = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_address(event: Event) -> str | None:
    """The event's address, once it is known to be one a bus can route."""
    address = event.address()
    if address is not None:
        if event.durable:
            raise ValueError(f"{event.routing_key} is durable: only signals can be addressed")
        if not ADDRESS.fullmatch(address):
            raise ValueError(f"not a subscriber address: {address!r}")
    return address


class Bus(Protocol):
    """Publish events, and consume them as a named group. Both buses keep this contract
    (tests/contract/test_bus.py runs one suite against each):

    * `publish` returns only once the event is safely with the bus (RabbitMQ: confirmed). It
      raises otherwise (broker unreachable, timeout, closed bus); the caller retries.
    * A durable event that no group subscribes to raises `Unroutable`; a signal
      (`durable = False`) that nobody hears is dropped quietly.
    * Subscribers of one `group` compete for each event (one of them gets it), whether they
      are in one process or several; different groups each get every event. A handler that
      raises gets the event again later (with a growing delay); after many failures the event
      is dead-lettered rather than retried forever.
    * `broadcast=True` gives this subscriber every event, without durability: for
      fire-and-forget signals such as WebSocket nudges, where each api instance must hear all.
      Events published while its link to the broker is down are missed; `on_gap` is called
      once the link is back, so the subscriber can make up for them (the in-process bus
      never has a gap).
    * `address` (with `broadcast=True`) names the subscriber: it also hears the events
      addressed to that name (`Event.address()`), which no other subscriber hears. An event
      without an address reaches every broadcast subscriber of its routing key, named or not.
      Only signals may be addressed (ValueError otherwise): one addressed to a name nobody
      subscribes under is dropped quietly. This is how a nudge reaches only the api instance
      holding the device's WebSocket (overpush.presence).
    * `close()` stops every handler and is safe to call twice; `healthy()` is then False.
      What was published before is not dropped by a clean close: the in-process bus lets its
      handlers finish the queue first (for a few seconds), RabbitMQ keeps unhandled events
      queued for the group's next subscriber.
    * Durability differs by design: RabbitMQ keeps an event until a handler finished with it,
      across process crashes (an unfinished one is redelivered). The in-process bus loses what
      was queued when its process dies; there the database is the record, and the dispatcher
      re-dispatches undispatched messages at start-up.
    """

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, event: Event) -> None: ...

    async def subscribe(
        self,
        group: str,
        events: Sequence[type[Event]],
        handler: Handler,
        *,
        broadcast: bool = False,
        concurrency: int = 64,
        on_gap: Gap | None = None,
        address: str | None = None,
    ) -> None: ...

    async def healthy(self) -> bool: ...


def make_bus(url: str, prefix: str = "overpush") -> Bus:
    if url.startswith("memory:"):
        from overpush.bus.memory import MemoryBus

        return MemoryBus()
    if url.startswith(("amqp:", "amqps:")):
        from overpush.bus.rabbitmq import RabbitBus

        return RabbitBus(url, prefix)
    raise ValueError(f"unsupported bus URL {url!r}: use memory:// or amqp://")
