"""Events committed where a relay runs are handed to it at commit: published without the
sweep, their rows deleted once confirmed; a rollback hands over nothing, and an event staged
in a savepoint is left to the sweep. On both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from overpush import outbox
from overpush.clock import FixedClock
from overpush.db import migrate
from overpush.events import Event, MessageAccepted
from overpush.models import OutboxEvent
from overpush.outbox_relay import OutboxRelay
from overpush.runtime import Runtime
from overpush.settings import Settings

from tests.checks import count
from tests.waiting import until, until_awaited


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
        # The published rows are deleted a moment later, in one transaction; the
        # savepoint's stays for the sweep.
        async def savepoints_only() -> bool:
            return await count(rt, OutboxEvent) == 1

        await until_awaited(savepoints_only, "the published rows are deleted")
        assert await relay.flush() == 1
        await until(lambda: nested.event_id in heard, "the sweep publishes the savepoint's")
        assert rolled.event_id not in heard
    finally:
        await relay.stop()
    assert rt.outbox_handoff is None  # stopped: commits hand nothing over any more
    assert await count(rt, OutboxEvent) == 0


async def test_another_process_sweeps_a_handed_off_row_only_after_the_grace(
        settings: Settings) -> None:
    """Replicas share the table: a row its own relay was handed at commit is not theirs to
    publish (it would go out twice) unless that relay never did, by the end of the grace."""
    start = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    # Process A commits with a relay that takes hand-offs, then dies before publishing.
    a = Runtime.build(settings, clock=FixedClock(start))
    b_clock = FixedClock(start)
    b = Runtime.build(settings, clock=b_clock)
    await migrate(a.engine)
    await b.bus.start()
    heard: list[str] = []

    async def handle(event: Event) -> None:
        heard.append(event.event_id)

    await b.bus.subscribe("handoff-grace-test", [MessageAccepted], handle)
    try:
        a.outbox_handoff = []  # as a started relay sets it
        event = MessageAccepted(message_ids=[1], app_id=1, priority=0)
        async with a.sessions() as session, session.begin():
            await outbox.stage(session, a, [event])
        assert a.outbox_handoff == [event]
        sweeper = OutboxRelay(b)
        assert await sweeper.flush() == 0  # A's relay would publish it any moment
        b_clock.advance(outbox.HANDOFF_GRACE.total_seconds())
        assert await sweeper.flush() == 1
        await until(lambda: heard == [event.event_id], "the sweep publishes it once")
        assert await count(b, OutboxEvent) == 0
    finally:
        await a.close()
        await b.close()


async def test_a_stopping_relay_leaves_its_hand_offs_due_for_the_final_flush(
        settings: Settings) -> None:
    rt = Runtime.build(settings, clock=FixedClock(datetime(2026, 11, 30, tzinfo=UTC)))
    await migrate(rt.engine)
    await rt.bus.start()
    heard: list[str] = []

    async def handle(event: Event) -> None:
        heard.append(event.event_id)

    await rt.bus.subscribe("handoff-stop-test", [MessageAccepted], handle)
    try:
        relay = OutboxRelay(rt)
        rt.outbox_handoff = []  # taking hand-offs, but stopped before it publishes them
        event = MessageAccepted(message_ids=[1], app_id=1, priority=0)
        async with rt.sessions() as session, session.begin():
            await outbox.stage(session, rt, [event])
        await relay.stop()
        assert rt.outbox_handoff is None
        assert await relay.flush() == 1  # the clock has not moved: due because it stopped
        await until(lambda: heard == [event.event_id], "the final flush publishes it")
    finally:
        await rt.close()


async def test_published_rows_are_deleted_together_a_moment_later_or_at_stop(
        rt: Runtime) -> None:
    """The delete of published rows is bookkeeping: it waits for the linger (several commits'
    rows in one transaction), a published row is never swept meanwhile, and a stopping relay
    deletes what it published."""
    heard: list[str] = []

    async def handle(event: Event) -> None:
        heard.append(event.event_id)

    await rt.bus.subscribe("handoff-linger-test", [MessageAccepted], handle)
    relay = OutboxRelay(rt, delete_linger=3600.0)
    relay.start()
    try:
        events = [MessageAccepted(message_ids=[i], app_id=1, priority=0) for i in (1, 2, 3)]
        for event in events:  # three commits
            async with rt.sessions() as session, session.begin():
                await outbox.stage(session, rt, [event])
        await until(lambda: len(heard) == 3, "all three are published")
        assert await count(rt, OutboxEvent) == 3  # within the linger: not deleted yet
        assert await relay.flush() == 0  # and not the sweep's to publish again
    finally:
        await relay.stop()
    assert await count(rt, OutboxEvent) == 0
    assert heard == [e.event_id for e in events]
