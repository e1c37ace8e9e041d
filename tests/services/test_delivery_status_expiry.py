"""Delivery status at the ends of a message's life (issue 17 §6), on both backends with a fixed
clock: a message whose ttl runs out unread, and one no device syncs within the retention, end
`failed` with the reason (the sender is called back with it), while a device that downloaded
it stays `delivered`; statuses outlive the queue rows by a day, then go."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from overpush import delivery_status
from overpush.clock import FixedClock, unix
from overpush.db import migrate
from overpush.delivery import dispatch
from overpush.delivery.retention import sweep
from overpush.ids import device_id
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import Device, DeviceStatus, StatusCallback, User
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import select

from tests.factories import make_app, make_user
from tests.services.receipts_helpers import START

HOOK = "http://127.0.0.1:9/status"
DAY = 86400


@pytest.fixture
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.build(settings.model_copy(update={
        "bus_url": "memory://", "callback_allow_private": True}), clock=FixedClock(START))
    await migrate(rt.engine)
    yield rt
    await rt.close()


async def _devices(rt: Runtime, user_key: str, *names: str) -> dict[str, int]:
    async with rt.sessions() as session, session.begin():
        uid = await session.scalar(select(User.id).where(User.user_key == user_key))
        assert uid is not None
        devices = [Device(public_id=device_id(), user_id=uid, name=n, os="O", enabled=True,
                          created_at=rt.clock.now()) for n in names]
        session.add_all(devices)
        await session.flush()
        return {d.name: d.id for d in devices}


async def _send(rt: Runtime, token: str, user: str, request: str, **extra: str) -> int:
    draft = parse_message({"token": token, "user": user, "message": request,
                           "status_callback": HOOK, **extra})
    [mid] = (await accept(rt, draft, request)).message_ids
    async with rt.sessions() as session, session.begin():
        await dispatch.queue_messages(session, rt, [mid])  # what the dispatcher does
    return mid


async def _statuses(rt: Runtime, request: str) -> dict[str, tuple[str, str | None]]:
    async with rt.sessions() as session:
        rows = (await session.scalars(
            select(DeviceStatus).where(DeviceStatus.request_id == request))).all()
    return {r.device_name: (r.status, r.reason) for r in rows}


async def _called_back(rt: Runtime) -> list[tuple[str, str, str]]:
    async with rt.sessions() as session:
        bodies = (await session.scalars(select(StatusCallback.body)
                                        .order_by(StatusCallback.id))).all()
    return [(e["request"], e["device"], e["status"]) for e in map(json.loads, bodies)]


async def test_a_message_that_expires_unread_ends_failed(rt: Runtime) -> None:
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    ann = await make_user(rt)
    token = await make_app(rt, ann)
    ids = await _devices(rt, ann.user_key, "laptop", "phone")
    mid = await _send(rt, token, ann.user_key, "short", ttl="60")
    async with rt.sessions() as session, session.begin():  # the laptop downloads it
        await delivery_status.downloaded(session, ids["laptop"], [mid], clock.now())
    async with rt.sessions() as session, session.begin():  # the phone's vendor took it
        await delivery_status.record(session, [delivery_status.Change(
            mid, ids["phone"], delivery_status.SENT)], clock.now())
    await _send(rt, token, ann.user_key, "kept")

    assert (await sweep(rt)).expired == 0  # not yet
    clock.advance(60)
    assert (await sweep(rt)).expired == 1
    assert await _statuses(rt, "short") == {
        "laptop": ("delivered", None), "phone": ("failed", delivery_status.EXPIRED_TTL)}
    assert await _statuses(rt, "kept") == {"laptop": ("queued", None),
                                           "phone": ("queued", None)}
    assert (await _called_back(rt))[-1] == ("short", "phone", "failed")
    async with rt.sessions() as session:
        failed_at = await session.scalar(select(DeviceStatus.failed_at).where(
            DeviceStatus.message_id == mid, DeviceStatus.device_id == ids["phone"]))
    assert failed_at is not None and unix(failed_at) == unix(START) + 60
    await sweep(rt)  # a second pass changes nothing
    assert [c for c in await _called_back(rt) if c[0] == "short"] == [
        ("short", "laptop", "queued"), ("short", "phone", "queued"),
        ("short", "laptop", "delivered"), ("short", "phone", "sent"),
        ("short", "phone", "failed")]


async def test_a_message_no_device_syncs_within_the_retention_ends_failed(
        rt: Runtime) -> None:
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    days = rt.settings.retention_days
    ann = await make_user(rt)
    token = await make_app(rt, ann)
    ids = await _devices(rt, ann.user_key, "laptop", "phone")
    mid = await _send(rt, token, ann.user_key, "old")
    async with rt.sessions() as session, session.begin():
        await delivery_status.downloaded(session, ids["laptop"], [mid], clock.now())
    clock.advance(days * DAY + 1)
    swept = await sweep(rt)
    assert swept.deliveries == 2  # both queue rows: the laptop never deleted its copy
    reason = delivery_status.not_synced(days)
    assert await _statuses(rt, "old") == {"laptop": ("delivered", None),
                                          "phone": ("failed", reason)}
    assert (await _called_back(rt))[-1] == ("old", "phone", "failed")

    # The status outlives the queue row by a day, so the sender can read the failure.
    async with rt.sessions() as session, session.begin():
        assert await delivery_status.purge(session, clock.now(), days) == 0
    clock.advance(timedelta(days=1).total_seconds())
    async with rt.sessions() as session, session.begin():
        assert await delivery_status.purge(session, clock.now(), days) == 2
    assert await _statuses(rt, "old") == {}
