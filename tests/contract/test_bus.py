"""Two backends, one contract: the same suite against the in-process bus and RabbitMQ.

The contract is the docstring of overpush.bus.Bus. "Another process" is, on RabbitMQ, another
connection (a second RabbitBus); the in-process bus has one bus per process, so there the
second handle is the same bus.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from overpush.bus import Bus, Handler, Unroutable
from overpush.bus.memory import MemoryBus
from overpush.bus.rabbitmq import RabbitBus
from overpush.events import EVENT_TYPES, DevicesNudged, Event, MessageAccepted

from testkit.backends import RABBIT, broker_address
from tests.contract.samples import sample
from tests.proxy import TcpProxy
from tests.waiting import until


class Buses:
    """Hands out started buses of one kind and closes them all afterwards."""

    def __init__(self, kind: str, prefix: str) -> None:
        self.kind, self.prefix = kind, prefix
        self._open: list[Bus] = []

    async def connect(self, **tuning: Any) -> Bus:
        """A started bus; `tuning` sets the constructor's knobs that both buses have
        (drain_timeout) or, with give_up_soon=True, tries a failing event a few times,
        quickly, then parks it."""
        if self.kind == "memory" and self._open:
            return self._open[0]
        if tuning.pop("give_up_soon", False):
            tuning.update({"retry_delays": (0.01, 0.01, 0.01)} if self.kind == "memory"
                          else {"delivery_limit": 3, "retry_delay_cap": 0.01})
        bus: Bus = (MemoryBus(**tuning) if self.kind == "memory"
                    else RabbitBus(RABBIT, self.prefix, **tuning))
        await bus.start()
        self._open.append(bus)
        return bus

    async def close(self) -> None:
        for bus in self._open:
            await bus.close()


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
def kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    prefix = request.getfixturevalue("rabbit_prefix") if request.param == "rabbitmq" else ""
    return request.param, prefix


# Every group these tests subscribe; their RabbitMQ queues are deleted afterwards.
GROUPS = ("roundtrip", "workers", "dispatch", "count", "flaky", "late", "slow")


@pytest.fixture
async def buses(kind: tuple[str, str]) -> AsyncIterator[Buses]:
    b = Buses(*kind)
    yield b
    await b.close()
    if b.kind == "rabbitmq":
        await delete_queues(b.prefix, GROUPS)


async def delete_queues(prefix: str, groups: tuple[str, ...]) -> None:
    conn = await aio_pika.connect(RABBIT)
    try:
        channel = await conn.channel()
        for group in groups:
            for key in EVENT_TYPES:
                await channel.queue_delete(f"{prefix}.{group}.{key}")
    finally:
        await conn.close()


async def until_health(bus: Bus, healthy: bool, timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if await bus.healthy() is healthy:
                return
            await asyncio.sleep(0.01)


async def settle() -> None:
    """Give stray duplicates a moment to show up before counting."""
    await asyncio.sleep(0.3)


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


def broadcast_nudge(n: int) -> Event:
    """A nudge sample addressed to no one in particular: every api instance hears it."""
    return sample(DevicesNudged, n).model_copy(update={"instance": None})


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


async def test_close_is_clean(buses: Buses) -> None:
    # A short drain: close() gives up on the stuck handler sooner, and otherwise behaves alike.
    bus = await buses.connect(drain_timeout=0.5)
    started: list[str] = []
    stuck = asyncio.Event()

    async def slow(event: Event) -> None:
        started.append(event.event_id)
        await stuck.wait()

    await bus.subscribe("slow", [MessageAccepted], slow, concurrency=1)
    event = sample(MessageAccepted)
    await bus.publish(event)
    await until(lambda: bool(started), "handler running")
    assert await bus.healthy()

    await bus.close()  # returns although a handler was in the middle of an event
    await bus.close()  # and a second close is harmless
    assert not await bus.healthy()
    with pytest.raises(Exception):  # noqa: B017 - each bus raises its own connection error
        await bus.publish(sample(MessageAccepted))
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("bus:")]

    if buses.kind == "rabbitmq":
        # The unfinished event went back to the queue: the next subscriber of the group gets
        # it. (The in-process bus loses it with the process; the database recovers it.)
        redelivered: list[str] = []

        async def handle(ev: Event) -> None:
            redelivered.append(ev.event_id)

        other = await buses.connect()
        await other.subscribe("slow", [MessageAccepted], handle)
        await until(lambda: redelivered == [event.event_id], "redelivered after close")
    stuck.set()
    await settle()
    assert started == [event.event_id]


async def test_broadcast_subscriber_hears_of_a_gap(kind: tuple[str, str]) -> None:
    """After its broker link drops and comes back, a broadcast subscriber is told it may have
    missed events, and hears new ones again. (The in-process bus has no link to lose.)"""
    if kind[0] == "memory":
        pytest.skip("the in-process bus never loses its link")
    with TcpProxy(*broker_address()) as proxy:
        bus = RabbitBus(f"amqp://guest:guest@127.0.0.1:{proxy.port}/", kind[1])
        sender = RabbitBus(RABBIT, kind[1])
        await bus.start()
        await sender.start()
        try:
            gaps: list[int] = []
            heard: list[str] = []

            async def on_gap() -> None:
                gaps.append(1)

            async def on_nudge(event: Event) -> None:
                heard.append(event.event_id)

            await bus.subscribe("api", [DevicesNudged], on_nudge, broadcast=True, on_gap=on_gap)
            proxy.cut()
            await until_health(bus, False)
            missed = broadcast_nudge(1)
            await sender.publish(missed)
            proxy.restore()
            await until(lambda: gaps == [1], "told of the gap once the link is back")
            assert await bus.healthy()
            event = broadcast_nudge(2)
            await sender.publish(event)
            await until(lambda: event.event_id in heard, "hears new events again")
            assert missed.event_id not in heard
        finally:
            await bus.close()
            await sender.close()


async def test_close_loses_nothing_already_published(buses: Buses) -> None:
    """What was published before close() is handled: by the closing subscriber before close
    returns (in-process: the queue would die with it), or by the group's next subscriber
    (RabbitMQ: unhandled events stay in the queue)."""
    bus = await buses.connect()
    handled: list[str] = []

    async def slowish(event: Event) -> None:
        await asyncio.sleep(0.05)
        handled.append(event.event_id)

    await bus.subscribe("slow", [MessageAccepted], slowish, concurrency=1)
    events = [sample(MessageAccepted, n) for n in range(5)]
    for event in events:
        await bus.publish(event)
    await bus.close()
    if buses.kind == "rabbitmq":
        other = await buses.connect()
        await other.subscribe("slow", [MessageAccepted], slowish)
    await until(lambda: set(handled) == {e.event_id for e in events}, "every event handled")


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
