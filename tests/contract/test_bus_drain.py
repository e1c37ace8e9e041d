"""A stopping RabbitMQ consumer (SIGTERM in a pod) finishes the messages it holds and acks them."""

from __future__ import annotations

import asyncio

import aio_pika
from overpush.bus.rabbitmq import RabbitBus
from overpush.events import Event, MessageAccepted

from testkit.backends import RABBIT


async def test_close_waits_for_the_handler_in_flight_then_acks(rabbit_prefix: str) -> None:
    bus = RabbitBus(RABBIT, rabbit_prefix)
    await bus.start()
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def slow(event: Event) -> None:
        started.set()
        await release.wait()
        finished.append(event.event_id)

    await bus.subscribe("dispatcher", [MessageAccepted], slow, concurrency=4)
    event = MessageAccepted(message_ids=[1], app_id=1, priority=0)
    await bus.publish(event)
    await started.wait()

    closing = asyncio.create_task(bus.close())
    for _ in range(20):  # give close() every chance to finish early, which it must not
        await asyncio.sleep(0)
    assert not closing.done(), "close() returned while a handler was still running"
    release.set()
    await closing

    assert finished == [event.event_id]
    # Acked before the connection closed: nothing is left for another consumer to redo.
    conn = await aio_pika.connect(RABBIT)
    try:
        channel = await conn.channel()
        queue = await channel.declare_queue(
            f"{rabbit_prefix}.dispatcher.{MessageAccepted.routing_key}", passive=True
        )
        assert queue.declaration_result.message_count == 0
    finally:
        await conn.close()
