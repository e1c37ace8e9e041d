"""Two backends, one contract: the same suite against the in-process bus and RabbitMQ.

The contract is the docstring of overpush.bus.Bus. "Another process" is, on RabbitMQ, another
connection (a second RabbitBus); the in-process bus has one bus per process, so there the
second handle is the same bus. Closing and reconnecting: test_bus_close.py; the buses and the
`kind`/`buses` fixtures: buses.py and conftest.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import aio_pika
import pytest
from overpush.bus import Handler, Unroutable
from overpush.bus.memory import MemoryBus
from overpush.events import EVENT_TYPES, DevicesNudged, Event, MessageAccepted

from testkit.backends import RABBIT
from tests.contract.buses import Buses, broadcast_nudge, settle
from tests.contract.samples import sample
from tests.waiting import until


async def test_every_event_type_round_trips(buses: Buses) -> None:
    bus = await buses.connect()
    got: dict[str, list[Event]] = {key: [] for key in EVENT_TYPES}
    sent = {key: sample(cls) for key, cls in EVENT_TYPES.items()}
    for key, cls in EVENT_TYPES.items():
        async def handler(event: Event, key: str = key) -> None:
            got[key].append(event)

        # A sample with every field set may be addressed (a nudge to one api instance):
        # then the subscriber of that address hears it.
        address = sent[key].address()
        await bus.subscribe("roundtrip", [cls], handler, broadcast=address is not None,
                            address=address)
    for event in sent.values():
        await bus.publish(event)
    await until(lambda: all(got.values()), "every event type is delivered")
    await settle()
    for key, event in sent.items():
        assert got[key] == [event], key
        assert type(got[key][0]) is EVENT_TYPES[key]
        # A decoded copy on both buses, never the object published: a field that does not
        # survive the wire fails in-process exactly as it would on RabbitMQ.
        assert got[key][0] is not event, key


async def test_subscribers_of_one_group_compete(buses: Buses) -> None:
    a, b = await buses.connect(), await buses.connect()
    handled: list[tuple[str, str]] = []
    gate = asyncio.Event()

    def worker(name: str) -> Handler:
        async def handle(event: Event) -> None:
            handled.append((name, event.event_id))
            await gate.wait()

        return handle

    await a.subscribe("workers", [MessageAccepted], worker("a"), concurrency=1)
    await b.subscribe("workers", [MessageAccepted], worker("b"), concurrency=1)
    events = [sample(MessageAccepted, n) for n in range(20)]
    await a.publish(events[0])
    await a.publish(events[1])
    # Each subscriber takes one event at a time, so two events in flight are with both.
    await until(lambda: len(handled) == 2, "two events in flight")
    assert {name for name, _ in handled} == {"a", "b"}

    gate.set()
    for event in events[2:]:
        await b.publish(event)
    await until(lambda: len(handled) >= len(events), "all events handled")
    await settle()
    assert Counter(eid for _, eid in handled) == Counter(e.event_id for e in events)


async def test_each_group_gets_every_event(buses: Buses) -> None:
    bus = await buses.connect()
    seen: dict[str, list[str]] = {"dispatch": [], "count": []}
    for group in seen:
        async def handle(event: Event, group: str = group) -> None:
            seen[group].append(event.event_id)

        await bus.subscribe(group, [MessageAccepted], handle)
    events = [sample(MessageAccepted, n) for n in range(5)]
    for event in events:
        await bus.publish(event)
    await until(lambda: all(len(s) >= len(events) for s in seen.values()), "both groups")
    await settle()
    for group, ids in seen.items():
        assert sorted(ids) == sorted(e.event_id for e in events), group


async def test_broadcast_subscribers_each_get_every_event(buses: Buses) -> None:
    a, b = await buses.connect(), await buses.connect()
    heard: dict[str, list[str]] = {"a": [], "b": []}
    for name, bus in (("a", a), ("b", b)):
        async def on_nudge(event: Event, name: str = name) -> None:
            heard[name].append(event.event_id)

        # The same group name on purpose: every api instance subscribes as "api".
        await bus.subscribe("api", [DevicesNudged], on_nudge, broadcast=True)
    events = [broadcast_nudge(n) for n in range(3)]
    for event in events:
        await a.publish(event)
    await until(lambda: all(len(h) >= len(events) for h in heard.values()), "both instances")
    await settle()
    for name, ids in heard.items():
        assert ids == [e.event_id for e in events], name



async def test_an_addressed_signal_reaches_only_the_subscriber_of_its_address(
        buses: Buses) -> None:
    """How a nudge reaches only the api instance holding the device (overpush.presence):
    each instance subscribes under its own address and still hears unaddressed events."""
    buses_of = {"one": await buses.connect(), "two": await buses.connect(),
                "anyone": await buses.connect()}
    heard: dict[str, list[str]] = {name: [] for name in buses_of}
    for name, bus in buses_of.items():
        async def on_nudge(event: Event, name: str = name) -> None:
            heard[name].append(event.event_id)

        await bus.subscribe("api", [DevicesNudged], on_nudge, broadcast=True,
                            address=None if name == "anyone" else f"inst-{name}")
    to_one = DevicesNudged(device_ids=["d1"], instance="inst-one")
    to_nobody = DevicesNudged(device_ids=["d2"], instance="inst-gone")  # dropped quietly
    to_all = DevicesNudged(device_ids=["d3"])
    for event in (to_one, to_nobody, to_all):
        await buses_of["two"].publish(event)
    await until(lambda: all(to_all.event_id in h for h in heard.values()), "every instance")
    await settle()
    assert {k: sorted(v) for k, v in heard.items()} == {
        "one": sorted([to_one.event_id, to_all.event_id]), "two": [to_all.event_id],
        "anyone": [to_all.event_id]}
    with pytest.raises(ValueError):
        await buses_of["one"].publish(DevicesNudged(device_ids=["d4"], instance="no.dots"))


async def test_failing_handler_gets_the_event_again(buses: Buses) -> None:
    bus = await buses.connect()
    attempts: list[str] = []
    done: list[str] = []

    async def flaky(event: Event) -> None:
        attempts.append(event.event_id)
        if len(attempts) <= 2:
            raise RuntimeError("database briefly unavailable")
        done.append(event.event_id)

    await bus.subscribe("flaky", [MessageAccepted], flaky)
    event = sample(MessageAccepted)
    await bus.publish(event)
    await until(lambda: bool(done), "the handler succeeds in the end")
    await settle()
    assert attempts == [event.event_id] * 3
    assert done == [event.event_id]


async def test_durable_event_nobody_subscribes_to_raises(buses: Buses) -> None:
    bus = await buses.connect()
    for cls in EVENT_TYPES.values():
        if cls.durable:
            with pytest.raises(Unroutable):
                await bus.publish(sample(cls))
        else:
            await bus.publish(sample(cls))  # a signal nobody hears is dropped quietly
    # The bus stays usable: once a group subscribes, the same kind of event goes through.
    got: list[Event] = []

    async def handle(event: Event) -> None:
        got.append(event)

    await bus.subscribe("late", [MessageAccepted], handle)
    event = sample(MessageAccepted)
    await bus.publish(event)
    await until(lambda: got == [event], "delivered after subscribing")


async def test_an_event_that_always_fails_is_dead_lettered(buses: Buses) -> None:
    """A poison event is tried a bounded number of times, then parked, never looped."""
    bus = await buses.connect(give_up_soon=True)
    attempts: list[str] = []

    async def poison(event: Event) -> None:
        attempts.append(event.event_id)
        raise ValueError("this event can never be handled")

    await bus.subscribe("flaky", [MessageAccepted], poison)
    event = sample(MessageAccepted)
    await bus.publish(event)
    parked: list[str] = []
    if isinstance(bus, MemoryBus):
        await until(lambda: bool(bus.dead), "parked")
        parked = [e.event_id for _, e in bus.dead]
    else:
        conn = await aio_pika.connect(RABBIT)
        try:
            channel = await conn.channel()
            queue = await channel.declare_queue(f"{buses.prefix}.dead", passive=True)
            async with asyncio.timeout(30):
                while not parked:
                    message = await queue.get(fail=False)
                    if message is None:
                        await asyncio.sleep(0.05)
                        continue
                    parked.append(message.message_id or "")
                    await message.ack()
        finally:
            await conn.close()
    await settle()
    assert parked == [event.event_id]
    assert 2 <= len(attempts) <= 5 and set(attempts) == {event.event_id}
