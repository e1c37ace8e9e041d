"""Retention on both databases: expired and never-synced messages go, in batches, and two
sweeps at once (two replicas) delete each row once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from overpush.delivery.retention import sweep
from overpush.models import App, Delivery, Device, Message
from overpush.runtime import Runtime
from sqlalchemy import func, select

from tests.factories import make_app, make_user


async def test_retention(runtime: Runtime) -> None:
    rt = runtime
    rt.settings = rt.settings.model_copy(update={"retention_batch": 2})
    owner = await make_user(rt)
    token = await make_app(rt, owner)
    now = rt.clock.now()
    old, recent = now - timedelta(days=22), now - timedelta(days=1)
    async with rt.sessions() as session, session.begin():
        app = await session.scalar(select(App).where(App.token == token))
        assert app is not None
        device = Device(public_id="d" * 40, user_id=app.owner_id, name="pixel", os="A",
                        enabled=True, created_at=old)
        session.add(device)
        await session.flush()

        def message(body: str, at: object, expires: object = None) -> Message:
            return Message(app_id=app.id, user_id=app.owner_id, request_id="r", body=body,
                           priority=0, sent_at=at, created_at=at, dispatched_at=at,
                           expires_at=expires)

        unsynced = [message(f"old {i}", old) for i in range(5)]
        kept = message("recent", recent)
        expired = message("expired", recent, now - timedelta(minutes=1))
        orphan = message("orphan", old)
        session.add_all([*unsynced, kept, expired, orphan])
        await session.flush()
        session.add_all([Delivery(device_id=device.id, message_id=m.id, created_at=m.created_at)
                         for m in [*unsynced, kept, expired]])

    first, second = await asyncio.gather(sweep(rt), sweep(rt))
    assert first.expired + second.expired == 1
    assert first.deliveries + second.deliveries == 5
    assert first.messages + second.messages == 6  # the five unsynced and the orphan
    async with rt.sessions() as session:
        bodies = (await session.scalars(select(Message.body))).all()
        assert bodies == ["recent"]
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1
    again = await sweep(rt)
    assert (again.expired, again.deliveries, again.messages) == (0, 0, 0)
