"""Nudges reach only the api instance that holds the device (issue 20, target 3), shown with
four `overpush run api` processes and a dispatcher on PostgreSQL and RabbitMQ, real
WebSockets and real HTTP. Each process counts the nudge events it receives (by route,
addressed to it or broadcast to every instance) on /metrics; those counters are what the
broker delivered, so they show one message per holding instance, not four:

* a message to a user with devices on two instances is one event for each of the two;
  one for a device nobody holds is none at all;
* `A` (the device logged in elsewhere) and `E` (its secret was revoked) reach the instance
  holding the older connection, and only it;
* a device that moves between instances, also while messages are being sent, gets every
  message, and the nudges follow it;
* an instance killed with SIGKILL lapses: nudges for its devices are broadcast until they
  reconnect elsewhere and catch up, and the rows of a device that never comes back are swept.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from overpush.models import ApiInstance, DevicePresence
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed

from testkit.device import DesktopDevice
from tests.e2e.presence_cluster import APIS, TTL, Counts, Presence, Window, presence_cluster
from tests.waiting import until

pytestmark = pytest.mark.slow  # five processes; the lapse test waits out ten TTLs


def addressed(n: float, *instances: int) -> list[Counts]:
    """`n` addressed events for each of these api instances, none for the others."""
    return [Counts(addressed=n * instances.count(i)) for i in range(APIS)]


async def closed_after(device: DesktopDevice, frame: bytes) -> None:
    """The device hears `frame` and is closed (nudges it had not read yet come first)."""
    while (got := await device.frame_other_than_keepalive()) == b"!":
        pass
    assert got == frame
    with pytest.raises(ConnectionClosed):
        await device.frame()


@pytest.mark.timeout(400)
async def test_nudges_and_frames_reach_only_the_holding_instance(
        pg_url: str, rabbit_prefix: str, tmp_path: Path) -> None:
    async with presence_cluster(pg_url, rabbit_prefix, tmp_path) as p:
        alice = await p.user("alice@example.com")
        laptop = await p.device("alice@example.com", "laptop", api=0)
        desk = await p.device("alice@example.com", "desk", api=1)
        await p.user("bob@example.com")
        bob = await p.device("bob@example.com", "laptop", api=2)
        carol = await p.user("carol@example.com")
        await p.device("carol@example.com", "laptop", api=3, connect=False)  # offline

        # A message to Alice is one event to api 0 and one to api 1, not four broadcasts;
        # Carol's device is held by nobody, so her message publishes nothing.
        window = await Window.open(p)
        for i in range(5):
            await p.send(alice, f"first {i}", api=i % APIS)
            for device in (laptop, desk):
                assert [m["message"] for m in await device.receive(p.http)] == [f"first {i}"]
        await p.send(carol, "nobody holds this")
        got, published = await window.settled(lambda published: published.unheld >= 1)
        dispatches = published.addressed / 2  # one event per holding instance each time
        assert dispatches >= 5 and published.broadcast == 0 and published.unheld >= 1
        assert got == addressed(dispatches, 0, 1)

        # `A`: Bob's device logs in again on api 3; only api 2, which held it, hears of it.
        window = await Window.open(p)
        bob_again = await p.moved(bob, api=3)
        await closed_after(bob, b"A")
        assert (await window.settled())[0] == addressed(1, 2)

        # `E`: the device's secret is revoked through api 0; only api 3 hears it (through
        # the outbox: at least once).
        window = await Window.open(p)
        r = await p.http.post(f"{p.url(0)}/1/users/logout.json", data={"secret": bob.secret})
        assert r.status_code == 200, r.text
        await closed_after(bob_again, b"E")
        got, _ = await window.settled()
        assert got[3].addressed >= 1 and got == addressed(got[3].addressed, 3)

        # Alice's laptop moves round every instance; `A` goes to the one it left, each
        # message's nudge to where it is now and to api 1, where her desk is.
        where = 0
        for hop in (1, 2, 3, 0):
            window = await Window.open(p)
            moved = await p.moved(laptop, api=hop)
            await closed_after(laptop, b"A")
            await p.send(alice, f"after hop to {hop}")
            for device in (moved, desk):
                assert [m["message"] for m in await device.receive(p.http)] == [
                    f"after hop to {hop}"]
            got, published = await window.settled()
            holders = sorted({hop, 1})
            dispatches = published.addressed / len(holders)
            assert dispatches >= 1 and published.broadcast == 0
            assert got == [Counts(addressed=(i == where) + dispatches * (i in holders))
                           for i in range(APIS)], (hop, dispatches)
            laptop, where = moved, hop

        await moving_while_sending(p, alice, laptop)


async def moving_while_sending(p: Presence, alice: str, laptop: DesktopDevice) -> None:
    """The laptop hops every quarter second while messages keep coming; it syncs on every
    `!` and on every log-in, as a client does. After its last hop, further messages must
    reach it by nudge alone: none may be stranded on an instance it left."""
    seen: set[str] = set()
    followers: list[asyncio.Task[None]] = []

    async def sync(device: DesktopDevice) -> None:
        seen.update(m["message"] for m in await device.sync(p.http))

    async def follow(device: DesktopDevice) -> None:
        assert device.ws is not None
        try:
            async for frame in device.ws:
                if frame == b"!":
                    await sync(device)
        except ConnectionClosed:
            pass

    async def hop_around() -> DesktopDevice:
        current = laptop
        for n in range(12):
            current = await p.moved(current, api=(n + 1) % APIS)
            await sync(current)  # what a client does after log-in (the '!' was read)
            followers.append(asyncio.create_task(follow(current)))
            await asyncio.sleep(0.25)
        return current

    async def keep_sending() -> list[str]:
        texts = []
        for n in range(30):
            texts.append(f"during moves {n}")
            await p.send(alice, texts[-1], api=n % APIS)
            await asyncio.sleep(0.1)
        return texts

    followers.append(asyncio.create_task(follow(laptop)))
    await sync(laptop)
    try:
        last, texts = await asyncio.gather(hop_around(), keep_sending())
        for n in range(3):
            texts.append(f"after the last hop {n}")
            await p.send(alice, texts[-1], api=n)
        await until(lambda: seen >= set(texts), "every message on the laptop, by nudge",
                    timeout=30)
        assert last.ws is not None and last.ws.state.name == "OPEN"  # no reconnect needed
    finally:
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)


async def presence_of(p: Presence, device: DesktopDevice) -> tuple[str, float] | None:
    """The instance holding the device by its row, and seconds until that instance lapses."""
    async with p.db.sessions() as session:
        row = (await session.execute(
            select(DevicePresence.instance, ApiInstance.expires_at)
            .join(ApiInstance, ApiInstance.id == DevicePresence.instance, isouter=True)
            .where(DevicePresence.device == device.device_id))).first()
    if row is None:
        return None
    left = (row.expires_at - p.db.clock.now()).total_seconds() if row.expires_at else -1.0
    return row.instance, left


@pytest.mark.timeout(400)
async def test_a_killed_instance_lapses_and_its_devices_catch_up(
        pg_url: str, rabbit_prefix: str, tmp_path: Path) -> None:
    async with presence_cluster(pg_url, rabbit_prefix, tmp_path) as p:
        dave = await p.user("dave@example.com")
        laptop = await p.device("dave@example.com", "laptop", api=3)
        desk = await p.device("dave@example.com", "desk", api=0)
        erin = await p.user("erin@example.com")
        gone = await p.device("erin@example.com", "laptop", api=3)  # never comes back
        held = await presence_of(p, laptop)
        assert held is not None and held[1] > 0

        victim = p.apis[3]
        await asyncio.to_thread(victim.proc.stop, signal.SIGKILL)
        victim.killed = True
        for device in (laptop, gone):
            with pytest.raises(ConnectionClosed):
                await device.frame_other_than_keepalive(timeout=10)

        # Within a TTL its record lapses; then Dave's laptop is sent to every live instance.
        for _ in range(int(TTL * 3 / 0.05)):
            state = await presence_of(p, laptop)
            if state is not None and state[1] < 0:
                break
            await asyncio.sleep(0.05)
        assert state is not None and state[0] == held[0] and state[1] < 0, state
        window = await Window.open(p)
        await p.send(dave, "while it lapsed")
        assert [m["message"] for m in await desk.receive(p.http)] == ["while it lapsed"]
        got, published = await window.settled()
        n = published.broadcast  # dispatches: the desk addressed, the laptop broadcast
        assert n >= 1 and published.addressed == n
        assert got == [Counts(addressed=n, broadcast=n), Counts(broadcast=n),
                       Counts(broadcast=n), Counts()]

        # The laptop reconnects to api 1 and catches up; nudges follow it there.
        laptop = await p.moved(laptop, api=1)
        assert [m["message"] for m in await laptop.receive(p.http)] == ["while it lapsed"]
        window = await Window.open(p)
        await p.send(dave, "back again")
        for device in (laptop, desk):
            assert [m["message"] for m in await device.receive(p.http)] == ["back again"]
        got, published = await window.settled()
        assert published.broadcast == 0 and published.addressed >= 2
        assert got == addressed(published.addressed / 2, 0, 1)

        # Ten TTLs on, the live instances' heartbeats sweep the dead one's rows: Erin's
        # laptop is held by nobody, and her message publishes nothing.
        for _ in range(int(TTL * 20 / 0.1)):
            if await presence_of(p, gone) is None:
                break
            await asyncio.sleep(0.1)
        assert await presence_of(p, gone) is None
        window = await Window.open(p)
        await p.send(erin, "to nobody")
        got, published = await window.settled(lambda published: published.unheld >= 1)
        assert got == [Counts()] * APIS
        assert published.addressed == published.broadcast == 0 and published.unheld >= 1
