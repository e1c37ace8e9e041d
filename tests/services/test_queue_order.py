"""A device's queue ids commit in id order (PostgreSQL), so deleting "up to my highest id"
never removes a row the device did not download.

The race the scale-out proof found: dispatcher A draws delivery id X for a device, dispatcher
B draws Y > X for the same device and commits first; the device downloads [Y]; A commits; the
device deletes up to Y, and X with it, unseen. Here A is a transaction held open half-way
through its insert, and B the real DispatcherService: B must wait for A.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from overpush.db import migrate
from overpush.delivery.queue_order import lock_devices_of
from overpush.models import App, Delivery, Device, Message, User
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import delete, func, select, text

from services.dispatcher.service import DispatcherService
from tests.factories import make_app, make_user


@pytest.fixture
async def rt(pg_url: str) -> AsyncIterator[Runtime]:
    runtime = Runtime.build(Settings(database_url=pg_url, bus_url="memory://"))
    await migrate(runtime.engine)
    await runtime.bus.start()
    yield runtime
    await runtime.close()


async def message(rt: Runtime, user_id: int, app_id: int, body: str) -> int:
    async with rt.sessions() as session, session.begin():
        now = rt.clock.now()
        m = Message(app_id=app_id, user_id=user_id, request_id=str(uuid.uuid4()), body=body,
                    priority=0, sent_at=now, created_at=now)
        session.add(m)
    return m.id


async def waiting_on_a_lock(rt: Runtime) -> bool:
    async with rt.engine.connect() as conn:
        return bool((await conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"))).scalar())


async def test_a_lower_id_committed_late_is_not_deleted_unseen(rt: Runtime) -> None:
    owner = await make_user(rt)
    token = await make_app(rt, owner)
    async with rt.sessions() as session, session.begin():
        user_id = await session.scalar(select(User.id).where(User.email == owner.email))
        app_id = await session.scalar(select(App.id).where(App.token == token))
        device = Device(public_id=uuid.uuid4().hex, user_id=user_id, name="laptop", os="O",
                        enabled=True, created_at=rt.clock.now())
        session.add(device)
    assert user_id is not None and app_id is not None
    dispatcher = DispatcherService()
    await dispatcher.start(rt)  # first: on the memory bus it recovers undispatched messages
    try:
        first = await message(rt, user_id, app_id, "first")
        second = await message(rt, user_id, app_id, "second")
        async with rt.sessions() as a:  # dispatcher A, half-way: its id drawn, not committed
            await a.begin()
            await lock_devices_of(a, rt, {user_id})
            a.add(Delivery(device_id=device.id, message_id=first, created_at=rt.clock.now()))
            await a.flush()
            b = asyncio.create_task(dispatcher.dispatch([second]))
            deadline = time.monotonic() + 15
            while not b.done() and not await waiting_on_a_lock(rt):
                assert time.monotonic() < deadline, "B neither finished nor waited"
                await asyncio.sleep(0.02)
            # The device syncs now: download what is committed, then delete up to its highest.
            async with rt.sessions() as device_session:
                seen = list((await device_session.scalars(
                    select(Delivery.id).where(Delivery.device_id == device.id))).all())
            await a.commit()
        if seen:
            async with rt.sessions() as device_session, device_session.begin():
                await device_session.execute(delete(Delivery).where(
                    Delivery.device_id == device.id, Delivery.id <= max(seen)))
        await b
    finally:
        await dispatcher.stop()
    async with rt.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(Delivery)
                                      .where(Delivery.device_id == device.id))
    assert seen == [] and queued == 2, "B must queue after A commits, or 'first' is lost"
