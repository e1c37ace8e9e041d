"""The bus contract, continued: closing a bus (cleanly, losing nothing already published) and a
broadcast subscriber's lost link. The contract and its two backends: test_bus.py."""

from __future__ import annotations

import asyncio

import pytest
from overpush.bus.rabbitmq import RabbitBus
from overpush.events import DevicesNudged, Event, MessageAccepted

from testkit.backends import RABBIT, broker_address
from tests.contract.buses import Buses, broadcast_nudge, settle, until_health
from tests.contract.samples import sample
from tests.proxy import TcpProxy
from tests.waiting import until


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

