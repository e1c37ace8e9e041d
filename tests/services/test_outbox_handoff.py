"""Events committed where a relay runs are handed to it at commit: published without the
sweep, their rows deleted once confirmed; a rollback hands over nothing, and an event staged
in a savepoint is left to the sweep. On both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from overpush import outbox
from overpush.db import migrate
from overpush.events import Event, MessageAccepted
from overpush.models import OutboxEvent
from overpush.outbox import OutboxRelay
from overpush.runtime import Runtime
from overpush.settings import Settings

from tests.checks import count
from tests.waiting import until


@pytest.fixture
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    # A sweep an hour apart: whatever goes out within the test was handed off.
    runtime = Runtime.build(settings.model_copy(update={"outbox_sweep_interval": 3600.0}))
    await migrate(runtime.engine)
    await runtime.bus.start()
    yield runtime
    await runtime.close()


async def test_committed_events_go_out_without_a_sweep(rt: Runtime) -> None:
    heard: list[str] = []

    async def handle(event: Event) -> None:
        heard.append(event.event_id)

    await rt.bus.subscribe("handoff-test", [MessageAccepted], handle)
    relay = OutboxRelay(rt)
    relay.start()
    try:
        staged = [MessageAccepted(message_ids=[i], app_id=1, priority=0) for i in (1, 2)]
        async with rt.sessions() as session, session.begin():
            await outbox.stage(session, rt, staged[:1])
            outbox.add(session, rt, staged[1])
        await until(lambda: len(heard) == 2, "both events are published")
        assert heard == [e.event_id for e in staged]
        await until(lambda: rt.outbox_handoff == [], "the handoff is drained")

        # Rolled back: nothing is handed over, nothing published, no row.
        rolled = MessageAccepted(message_ids=[3], app_id=1, priority=0)
        async with rt.sessions() as session:
            async with session.begin():
                outbox.add(session, rt, rolled)
                await session.flush()
                await session.rollback()
        # In a savepoint: committed, but left to the sweep (a savepoint may roll back alone).
        nested = MessageAccepted(message_ids=[4], app_id=1, priority=0)
        async with rt.sessions() as session, session.begin():
            async with session.begin_nested():
                await outbox.stage(session, rt, [nested])
        assert rt.outbox_handoff == []
        await until(lambda: rt.outbox_handoff == [] and not rt.outbox_wakeup.is_set(),
                    "the relay is idle")
        assert rolled.event_id not in heard and nested.event_id not in heard
        assert await count(rt, OutboxEvent) == 1  # the savepoint's, for the sweep
        assert await relay.flush() == 1
        await until(lambda: nested.event_id in heard, "the sweep publishes the savepoint's")
        assert rolled.event_id not in heard
    finally:
        await relay.stop()
    assert rt.outbox_handoff is None  # stopped: commits hand nothing over any more
    assert await count(rt, OutboxEvent) == 0
