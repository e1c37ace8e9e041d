"""Nothing accepted is lost in a cluster: real `overpush run` processes through a broker outage
and a consumer killed in the middle of a message; a publish that times out; a starting
dispatcher's recovery. The single machine's cases: test_durability_single.py.

Every check counts by message text and umid what a real desktop device downloads: each
accepted message arrives, and arrives once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from overpush import outbox
from overpush.bus.rabbitmq import RabbitBus
from overpush.db import migrate
from overpush.delivery.dispatch import RECOVER_AFTER
from overpush.events import Event, MessageAccepted
from overpush.models import App, Delivery, Message, OutboxEvent, User
from overpush.outbox_relay import OutboxRelay
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import select, text, update

from services.dispatcher.service import DispatcherService
from testkit.backends import RABBIT, broker_address, cluster_settings
from testkit.procs import Proc, cli, env_for
from tests.checks import count
from tests.factories import make_app, make_user
from tests.proxy import TcpProxy
from tests.services.inbox import Inbox, make_account, post
from tests.waiting import until, until_awaited

pytestmark = pytest.mark.slow  # real `overpush` processes, a broker outage


@pytest.fixture
def cluster(pg_url: str, rabbit_prefix: str) -> Settings:
    return cluster_settings(pg_url, rabbit_prefix)


@pytest.fixture
async def db(cluster: Settings) -> AsyncIterator[Runtime]:
    """The test's own view of the cluster database (no services, bus not started)."""
    rt = Runtime.build(cluster.model_copy(update={"bus_url": "memory://"}))
    yield rt
    await rt.engine.dispose()


def health(base: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/healthz", timeout=5)
    body: dict[str, Any] = r.json()
    assert r.status_code == (200 if body["status"] == 1 else 503)
    return body


def wait_health(base: str, bus: bool, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while health(base)["checks"]["bus"] is not bus:
        assert time.monotonic() < deadline, f"/healthz never reported bus={bus}"
        time.sleep(0.1)


@pytest.mark.timeout(180)
async def test_messages_accepted_while_the_broker_is_unreachable_arrive_once(
    cluster: Settings, db: Runtime, procs: list[Proc], tmp_path: Path
) -> None:
    env = env_for(cluster)
    base = f"http://{cluster.http_host}:{cluster.http_port}"
    cli(env, "migrate")
    with TcpProxy(*broker_address()) as proxy:
        via_proxy = env_for(cluster, OVERPUSH_BUS_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}/")
        procs.append(Proc(env, "dispatcher", log=tmp_path / "dispatcher.log"))
        procs[0].wait_log("service dispatcher started")
        procs.append(api := Proc(via_proxy, "api", log=tmp_path / "api.log"))
        api.wait_healthy(base)
        account = make_account(env)
        inbox = Inbox(base, account.email)
        async with httpx.AsyncClient(timeout=10) as http:
            await inbox.register(http)
            await inbox.connect()
            await post(http, base, account, "before the outage")
            await inbox.wait_for(http, {"before the outage"})

            proxy.cut()
            wait_health(base, bus=False)
            during = {f"during the outage #{i}" for i in range(5)}
            for message in sorted(during):
                await post(http, base, account, message)  # committed: 200 without a broker
            assert await count(db, OutboxEvent) == len(during)
            assert health(base)["checks"] == {"database": True, "bus": False}

            proxy.restore()
            await inbox.wait_for(http, during)
            wait_health(base, bus=True)

            async def outbox_empty() -> bool:  # published rows are deleted a moment later
                return await count(db, OutboxEvent) == 0

            await until_awaited(outbox_empty, "the published events' rows are deleted")
            # The api reconnected (more connections through the proxy than the first one).
            assert proxy.accepted > 1
            await post(http, base, account, "after the outage")
            await inbox.wait_for(http, {"after the outage"})
            await inbox.device.close()
        inbox.assert_exactly_once({"before the outage", *during, "after the outage"})
        assert "outbox publish failed" in api.log.read_text()
        codes = [p.stop() for p in reversed(procs)]
    assert codes == [0, 0]


async def test_a_publish_that_times_out_leaves_the_event_for_later(
    cluster: Settings, db: Runtime
) -> None:
    """A broker that takes the publish but never confirms it: the relay gives up on time and
    keeps the row; once the broker answers again, the same row goes out."""
    await migrate(db.engine)
    heard: list[str] = []

    async def handle(event: Event) -> None:
        heard.append(event.event_id)

    consumer = RabbitBus(RABBIT, cluster.bus_prefix)
    await consumer.start()
    await consumer.subscribe("dispatcher", [MessageAccepted], handle)
    with TcpProxy(*broker_address()) as proxy:
        publisher = RabbitBus(f"amqp://guest:guest@127.0.0.1:{proxy.port}/", cluster.bus_prefix,
                              publish_timeout=1.0)
        await publisher.start()
        rt = Runtime.build(db.settings, bus=publisher)
        try:
            event = MessageAccepted(message_ids=[1], app_id=1, priority=0)
            async with rt.sessions() as session, session.begin():
                outbox.add(session, rt, event)
            relay = OutboxRelay(rt)
            proxy.pause()
            assert await relay.flush() == 1  # the attempt timed out: the row is set aside
            async with rt.sessions() as session:
                row = await session.scalar(select(OutboxEvent))
            assert row is not None and row.attempts == 1
            assert "TimeoutError" in (row.last_error or "")
            proxy.resume()
            async with rt.sessions() as session, session.begin():
                await session.execute(update(OutboxEvent).values(next_attempt_at=None))  # due
            assert await relay.flush() == 1
            assert await count(rt, OutboxEvent) == 0
            await until(lambda: event.event_id in heard, "the event arrives")
            # The stalled attempt may have reached the queue too: consumers are idempotent.
            assert set(heard) == {event.event_id}
        finally:
            await rt.close()
            await consumer.close()


async def stage_message(rt: Runtime, email: str, token: str, text_: str) -> Message:
    """Commit one message row for `email` from the app `token`, with no event yet."""
    async with rt.sessions() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.email == email))
        app_id = await session.scalar(select(App.id).where(App.token == token))
        assert user_id is not None and app_id is not None
        now = rt.clock.now()
        message = Message(app_id=app_id, user_id=user_id, request_id=str(uuid.uuid4()),
                          body=text_, priority=0, sent_at=now, created_at=now)
        session.add(message)
    return message


async def until_db(rt: Runtime, sql: str, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        async with rt.engine.connect() as conn:
            if (await conn.execute(text(sql))).scalar():
                return
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


@pytest.mark.timeout(180)
async def test_a_dispatcher_killed_in_the_middle_of_a_message_loses_nothing(
    cluster: Settings, db: Runtime, procs: list[Proc], tmp_path: Path
) -> None:
    env = env_for(cluster)
    base = f"http://{cluster.http_host}:{cluster.http_port}"
    cli(env, "migrate")
    procs.append(first := Proc(env, "dispatcher", log=tmp_path / "dispatcher-1.log"))
    first.wait_log("service dispatcher started")
    procs.append(api := Proc(env, "api", log=tmp_path / "api.log"))
    api.wait_healthy(base)
    account = make_account(env)
    inbox = Inbox(base, account.email)
    async with httpx.AsyncClient(timeout=10) as http:
        await inbox.register(http)
        await inbox.connect()
        await post(http, base, account, "warm-up")
        await inbox.wait_for(http, {"warm-up"})

        # The message is committed; the test holds its row lock before the event exists, so
        # the dispatcher that gets the event stalls inside the message, holding it unacked.
        message = await stage_message(db, account.email, account.token, "killed mid-message")
        async with db.engine.connect() as lock:
            held = await lock.begin()
            await lock.execute(select(Message.id).where(Message.id == message.id)
                               .with_for_update())
            async with db.sessions() as session, session.begin():
                outbox.add(session, db, MessageAccepted(
                    message_ids=[message.id], app_id=message.app_id, priority=0))
            await until_db(db, "SELECT count(*) FROM pg_stat_activity WHERE "
                           "datname = current_database() AND wait_event_type = 'Lock'",
                           "the dispatcher waits for the message row")
            first.kill()
            await held.rollback()
        async with db.sessions() as session:
            stalled = await session.get(Message, message.id)
            assert stalled is not None and stalled.dispatched_at is None
            assert not (await session.scalars(
                select(Delivery).where(Delivery.message_id == message.id))).all()

        procs.append(second := Proc(env, "dispatcher", log=tmp_path / "dispatcher-2.log"))
        await inbox.wait_for(http, {"killed mid-message"})
        # RabbitMQ redelivered it: the new dispatcher recovered nothing from the database.
        assert f"dispatched messages [{message.id}]" in second.log.read_text()
        assert "recovering" not in second.log.read_text()
        await post(http, base, account, "afterwards")
        await inbox.wait_for(http, {"afterwards"})
        await inbox.device.close()
    inbox.assert_exactly_once({"warm-up", "killed mid-message", "afterwards"})
    assert [p.stop() for p in (second, api)] == [0, 0]



async def test_cluster_dispatcher_recovers_only_messages_long_stuck(
    cluster: Settings, db: Runtime
) -> None:
    """On RabbitMQ a recent undispatched message still has its event in a queue, so a starting
    dispatcher leaves it alone; one stuck for long (its event dead-lettered) it dispatches."""
    await migrate(db.engine)
    owner = await make_user(db)
    token = await make_app(db, owner)
    stuck = await stage_message(db, owner.email, token, "stuck")
    recent = await stage_message(db, owner.email, token, "recent")
    async with db.sessions() as session, session.begin():
        row = await session.get(Message, stuck.id)
        assert row is not None
        row.created_at = row.created_at - RECOVER_AFTER * 2
    rt = Runtime.build(cluster)
    await rt.bus.start()
    try:
        await DispatcherService().start(rt)
    finally:
        await rt.close()
    async with db.sessions() as session:
        assert (await session.get(Message, stuck.id, populate_existing=True)).dispatched_at  # type: ignore[union-attr]
        assert (await session.get(Message, recent.id)).dispatched_at is None  # type: ignore[union-attr]
