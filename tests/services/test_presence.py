"""The presence record on both databases: a log-in takes a device over (and the instance that
held it hears `A`, addressed to it alone), a close removes only its own connection's row,
a lapsed instance's rows route by broadcast and are swept, and an instance that finds
itself swept writes its connections again. The multi-process proof with four api processes
is tests/e2e/test_presence_routing.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from overpush.clock import FixedClock
from overpush.db import migrate
from overpush.events import DevicesNudged, Event
from overpush.models import ApiInstance, DevicePresence
from overpush.presence import Record, routed
from overpush.presence.routing import holders, plan
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import delete, insert, select

from tests.waiting import until

TTL = 0.6  # seconds: the heartbeat runs every 0.2 s; the clock below decides what is stale
START = datetime(2026, 11, 30, 12, tzinfo=UTC)
Rows = dict[str, tuple[str, str, str | None]]


@pytest.fixture
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.build(settings.model_copy(update={"presence_ttl": TTL}),
                       clock=FixedClock(START))
    await migrate(rt.engine)
    await rt.bus.start()
    yield rt
    await rt.close()


class Instance:
    """An api instance's record, with the connections it holds and the frames it heard."""

    def __init__(self, rt: Runtime, name: str) -> None:
        self.held: dict[str, str] = {}
        self.heard: list[DevicesNudged] = []
        self.swept = 0
        self.record = Record(rt, name, lambda: self.held.items(), self._on_swept)

    async def _on_swept(self) -> None:
        self.swept += 1

    async def start(self, rt: Runtime) -> None:
        async def hear(event: Event) -> None:
            assert isinstance(event, DevicesNudged)
            self.heard.append(event)

        await rt.bus.subscribe("api", [DevicesNudged], hear, broadcast=True,
                               address=self.record.instance)
        await self.record.start()

    async def connect(self, device: str, conn: str) -> None:
        self.held[device] = conn
        await self.record.connected(device, conn)

    def close(self, device: str) -> None:
        self.record.closed(device, self.held.pop(device))


async def rows(rt: Runtime) -> Rows:
    async with rt.sessions() as session:
        found = (await session.scalars(select(DevicePresence))).all()
        return {p.device: (p.instance, p.conn, p.previous) for p in found}


async def rows_until(rt: Runtime, cond: Callable[[Rows], bool], what: str) -> Rows:
    """The rows once `cond` holds for them (the closes are written in the background)."""
    for _ in range(750):
        if cond(now := await rows(rt)):
            return now
        await asyncio.sleep(0.02)
    raise AssertionError(f"not in 15s: {what}")


async def test_a_log_in_takes_the_device_over_and_the_previous_holder_hears_a(
        rt: Runtime) -> None:
    one, two = Instance(rt, "one"), Instance(rt, "two")
    await one.start(rt)
    await two.start(rt)
    try:
        await one.connect("dev1", "c1")
        await one.connect("dev2", "c2")
        assert await rows(rt) == {"dev1": ("one", "c1", None), "dev2": ("one", "c2", None)}
        await two.connect("dev1", "c3")  # the device logged in again, on the other instance
        assert (await rows(rt))["dev1"] == ("two", "c3", "one")
        await until(lambda: one.heard, "`A` for the older connection")
        [told] = one.heard
        assert (told.device_ids, told.frame, told.close, told.instance) == (
            ["dev1"], "A", True, "one")
        assert two.heard == []  # addressed: the new holder does not hear it
        # The older connection closes afterwards: the newer row stays, the other goes.
        one.close("dev1")
        one.close("dev2")
        left = await rows_until(rt, lambda r: "dev2" not in r, "dev2's row removed")
        assert left == {"dev1": ("two", "c3", "one")}
        two.close("dev1")
        await rows_until(rt, lambda r: not r, "every row removed")
    finally:
        await one.record.stop()
        await two.record.stop()


async def test_log_ins_together_are_written_together_and_the_last_one_wins(
        rt: Runtime) -> None:
    """A storm of log-ins shares statements; two log-ins of one device in one batch leave
    the later one's row (the api ends the earlier connection itself)."""
    one = Instance(rt, "one")
    await one.start(rt)
    try:
        devices = [f"dev{i}" for i in range(450)]  # more than one batch
        await asyncio.gather(*(one.record.connected(d, f"c{d}") for d in devices),
                             one.record.connected("dev7", "again"))
        found = await rows(rt)
        assert len(found) == 450 and found["dev7"][:2] == ("one", "again")
        assert one.heard == []  # nothing was held elsewhere before
    finally:
        await one.record.stop()
    assert await rows(rt) == {}  # a clean stop withdraws every row


async def test_a_lapsed_instance_is_broadcast_to_then_swept(rt: Runtime) -> None:
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    async with rt.sessions() as session, session.begin():  # an instance that died
        await session.execute(insert(ApiInstance).values(
            id="dead", host="gone", started_at=START, expires_at=START + timedelta(seconds=1)))
        await session.execute(insert(DevicePresence).values(
            device="orphan", instance="dead", conn="c0", since=START))
    live = Instance(rt, "live")
    await live.start(rt)
    try:
        await live.connect("here", "c1")
        clock.advance(2)  # past the dead one's expiry; the live one renews its own
        await asyncio.sleep(3 * TTL)  # a few heartbeats at the new time

        async with rt.sessions() as session:
            found = await holders(session, ["orphan", "here", "nobody"])
        route = plan(["orphan", "here", "nobody"], found, clock.now(), closing=False)
        assert (route.addressed, route.broadcast, route.unheld) == (
            {"live": ["here"]}, ["orphan"], ["nobody"])
        closing = plan(["orphan", "here", "nobody"], found, clock.now(), closing=True)
        assert closing.broadcast == ["nobody", "orphan"]
        if not rt.settings.is_memory_bus:  # the lookup publishers use (none in-process)
            out = await routed(rt, DevicesNudged(device_ids=["orphan", "here", "nobody"]))
            assert sorted((e.instance or "", e.device_ids) for e in out) == [
                ("", ["orphan"]), ("live", ["here"])]

        clock.advance(TTL * 11)  # long past: the live instance's heartbeat sweeps it
        await rows_until(rt, lambda r: "orphan" not in r, "the dead instance swept")
        async with rt.sessions() as session:
            assert await session.scalar(select(ApiInstance.id).where(
                ApiInstance.id == "dead")) is None
        assert (await rows(rt))["here"][:2] == ("live", "c1")
    finally:
        await live.record.stop()


async def test_an_instance_that_was_swept_writes_its_connections_again(rt: Runtime) -> None:
    """Cut off from the database for long enough, another instance swept our rows: at the
    next heartbeat we write them again (a device that moved keeps its newer row) and every
    device syncs, as after a gap on the bus."""
    one, two = Instance(rt, "one"), Instance(rt, "two")
    await one.start(rt)
    await two.start(rt)
    try:
        await one.connect("stays", "c1")
        await one.connect("moved", "c2")
        async with rt.sessions() as session, session.begin():  # what the sweep does
            await session.execute(delete(DevicePresence).where(
                DevicePresence.instance == "one"))
            await session.execute(delete(ApiInstance).where(ApiInstance.id == "one"))
        await two.connect("moved", "c3")  # meanwhile the device logged in elsewhere
        await until(lambda: one.swept, "the swept instance rejoins")
        found = await rows(rt)
        assert found["stays"][:2] == ("one", "c1")
        assert found["moved"][:2] == ("two", "c3")
    finally:
        await one.record.stop()
        await two.record.stop()
