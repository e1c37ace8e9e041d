"""One bad outbox row never delays the others (issue 14, item 18), on both backends.

A row that no longer decodes and an event no consumer takes yet (a rolling deploy where the
publisher is newer than the consumers) are set aside with an attempt count and their own
next attempt; the good event committed after them goes out in the same sweep. Nothing is
deleted: `overpush admin outbox list` shows the rows, `replay` makes them due at once, and
once the cause is fixed (a consumer subscribes) the row is published.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from overpush import outbox
from overpush.clock import FixedClock
from overpush.db import migrate
from overpush.events import Event, MessageAccepted, ReceiptAcknowledged
from overpush.models import OutboxEvent
from overpush.outbox_relay import OutboxRelay
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import insert, select

from services.admin import outbox as admin_outbox
from testkit.backends import sqlite_settings
from testkit.procs import OVERPUSH, env_for
from tests.waiting import until

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime.build(settings, clock=FixedClock(START))
    await migrate(runtime.engine)
    await runtime.bus.start()
    yield runtime
    await runtime.close()


async def rows(rt: Runtime) -> dict[str, OutboxEvent]:
    async with rt.sessions() as session:
        return {r.event_id: r for r in (await session.scalars(select(OutboxEvent))).all()}


async def test_a_bad_row_is_set_aside_and_never_delays_later_events(rt: Runtime) -> None:
    heard: list[str] = []

    async def handle(event: Event) -> None:
        heard.append(event.event_id)

    await rt.bus.subscribe("outbox-test", [MessageAccepted], handle)
    async with rt.sessions() as session, session.begin():
        # Oldest first: a body that no longer decodes, then an event nobody consumes yet.
        await session.execute(insert(OutboxEvent), [{
            "event_id": "undecodable", "routing_key": MessageAccepted.routing_key,
            "body": "{not json", "created_at": START}])
        outbox.add(session, rt, ReceiptAcknowledged(event_id="noconsumer", receipt_id=1))
        good = MessageAccepted(message_ids=[1], app_id=1, priority=0)
        outbox.add(session, rt, good)
    failures_before = rt.metrics.publish_failures._value.get()
    relay = OutboxRelay(rt)

    assert await relay.flush() == 3
    await until(lambda: good.event_id in heard, "the good event is delivered")
    left = await rows(rt)
    assert set(left) == {"undecodable", "noconsumer"}  # set aside, never deleted
    for row in left.values():
        assert row.attempts == 1
        assert row.next_attempt_at == START + timedelta(seconds=1)
        assert row.last_error
    assert "ValidationError" in (left["undecodable"].last_error or "")
    assert "Unroutable" in (left["noconsumer"].last_error or "")
    assert rt.metrics.publish_failures._value.get() == failures_before + 2

    # Not due yet: a later good event goes out alone, at once.
    later = MessageAccepted(message_ids=[2], app_id=1, priority=0)
    async with rt.sessions() as session, session.begin():
        outbox.add(session, rt, later)
    assert await relay.flush() == 1
    await until(lambda: later.event_id in heard, "the later event is delivered")

    # Due again: each failure doubles the row's own wait.
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(1)
    assert await relay.flush() == 2
    left = await rows(rt)
    assert {r.attempts for r in left.values()} == {2}
    assert {r.next_attempt_at for r in left.values()} == {START + timedelta(seconds=3)}
    assert await relay.flush() == 0


async def test_admin_lists_and_replays_set_aside_rows(rt: Runtime) -> None:
    heard: list[str] = []

    async def handle(event: Event) -> None:
        heard.append(event.event_id)

    event = ReceiptAcknowledged(receipt_id=1)
    async with rt.sessions() as session, session.begin():
        outbox.add(session, rt, event)
    relay = OutboxRelay(rt)
    assert await relay.flush() == 1
    listed = await admin_outbox.list_rows(rt)
    assert listed["total"] == 1
    (row,) = listed["rows"]
    assert row["event_id"] == event.event_id and row["attempts"] == 1
    assert row["routing_key"] == ReceiptAcknowledged.routing_key
    assert "Unroutable" in row["last_error"]
    assert await relay.flush() == 0  # not due: the clock has not moved

    # The cause is fixed (a consumer now exists): replay makes the row due at once.
    await rt.bus.subscribe("outbox-test", [ReceiptAcknowledged], handle)
    assert await admin_outbox.replay(rt, [row["id"]]) == {"replayed": 1}
    assert (await admin_outbox.list_rows(rt))["rows"][0]["next_attempt_at"] is None
    assert await relay.flush() == 1
    await until(lambda: event.event_id in heard, "the replayed event is delivered")
    assert await admin_outbox.list_rows(rt) == {"total": 0, "rows": []}


async def test_replay_of_a_row_that_is_not_set_aside_is_refused(rt: Runtime) -> None:
    from overpush.errors import ApiError
    with pytest.raises(ApiError):
        await admin_outbox.replay(rt, [12345])
    assert await admin_outbox.replay(rt, []) == {"replayed": 0}


async def test_the_outbox_commands_in_their_own_process(tmp_path: Path) -> None:
    """`overpush admin outbox list` and `replay` as an operator runs them (SQLite)."""
    settings = sqlite_settings(tmp_path)
    runtime = Runtime.build(settings)
    try:
        await migrate(runtime.engine)
        await runtime.bus.start()
        async with runtime.sessions() as session, session.begin():
            outbox.add(session, runtime, ReceiptAcknowledged(event_id="nobody", receipt_id=7))
        assert await OutboxRelay(runtime).flush() == 1
    finally:
        await runtime.close()
    env = env_for(settings)

    def run(*args: str) -> dict[str, Any]:
        out = subprocess.run([OVERPUSH, "admin", "outbox", *args], env=env, text=True,
                             capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stdout + out.stderr
        answer: dict[str, Any] = json.loads(out.stdout)
        return answer

    listed = await asyncio.to_thread(run, "list")
    assert [(r["event_id"], r["attempts"]) for r in listed["rows"]] == [("nobody", 1)]
    assert await asyncio.to_thread(run, "replay") == {"replayed": 1}
    assert (await asyncio.to_thread(run, "list"))["rows"][0]["next_attempt_at"] is None
