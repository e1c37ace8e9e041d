"""Status callbacks' delivery (issue 17 §6), on both backends with a fixed clock: a receiver
that fails is retried with the receipts callbacks' back-off, each attempt signed with the
application's secret; a URL that no longer passes the outbound checks is given up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from overpush import status_callbacks
from overpush.clock import FixedClock, unix
from overpush.db import migrate
from overpush.delivery import dispatch
from overpush.ids import device_id
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import App, Device, StatusCallback, User
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import select

from tests.callback_receiver import Receiver
from tests.factories import make_app, make_user
from tests.services.receipts_helpers import START


@pytest.fixture
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.build(settings.model_copy(update={
        "bus_url": "memory://", "callback_allow_private": True}), clock=FixedClock(START))
    await migrate(rt.engine)
    yield rt
    await rt.close()


async def _queued_with_callback(rt: Runtime, url: str) -> str:
    """A message to a user with one device, queued as the dispatcher does: one status
    change (queued) to call back. Returns the app token."""
    ann = await make_user(rt)
    token = await make_app(rt, ann)
    async with rt.sessions() as session, session.begin():
        uid = await session.scalar(select(User.id).where(User.user_key == ann.user_key))
        assert uid is not None
        session.add(Device(public_id=device_id(), user_id=uid, name="laptop", os="O",
                           enabled=True, created_at=START))
    draft = parse_message({"token": token, "user": ann.user_key, "message": "backup done",
                           "status_callback": url})
    ids = (await accept(rt, draft, "req-1")).message_ids
    async with rt.sessions() as session, session.begin():
        await dispatch.queue_messages(session, rt, ids)
    return token


async def _row(rt: Runtime) -> StatusCallback:
    async with rt.sessions() as session:
        row: StatusCallback | None = await session.scalar(select(StatusCallback))
    assert row is not None
    return row


async def test_a_failing_receiver_is_retried_with_back_off(rt: Runtime) -> None:
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    async with Receiver(fail_first=2) as receiver:
        token = await _queued_with_callback(rt, receiver.url)
        assert await status_callbacks.deliver_due(rt) == 1  # 500
        assert await status_callbacks.deliver_due(rt) == 0  # backing off
        clock.advance(5)
        assert await status_callbacks.deliver_due(rt) == 1  # 500 again
        clock.advance(5)
        assert await status_callbacks.deliver_due(rt) == 0  # the second back-off is longer
        clock.advance(10)
        assert await status_callbacks.deliver_due(rt) == 1
        assert await status_callbacks.deliver_due(rt) == 0  # delivered: done
    assert receiver.answered == [500, 500, 200]
    [(headers, body)] = receiver.raw
    async with rt.sessions() as session:
        secret = await session.scalar(select(App.status_secret).where(App.token == token))
    assert secret is not None
    assert status_callbacks.verify(headers["x-overpush-signature"], secret, body,
                                  unix(clock.now()))
    event = json.loads(body)
    assert (event["request"], event["device"], event["status"]) == ("req-1", "laptop",
                                                                    "queued")
    row = await _row(rt)
    assert (row.attempts, row.next_attempt_at, row.last_error) == (3, None, None)
    assert row.delivered_at is not None and unix(row.delivered_at) == unix(START) + 20


async def test_a_url_that_fails_the_outbound_checks_is_given_up(rt: Runtime) -> None:
    clock = rt.clock
    assert isinstance(clock, FixedClock)
    async with Receiver() as receiver:
        await _queued_with_callback(rt, receiver.url)
        # The receiver's address is loopback: refused once private addresses are.
        rt.settings = rt.settings.model_copy(update={"callback_allow_private": False})
        assert await status_callbacks.deliver_due(rt) == 1
        clock.advance(3600)
        assert await status_callbacks.deliver_due(rt) == 0  # given up, not retried
    assert receiver.answered == []
    row = await _row(rt)
    assert row.next_attempt_at is None and row.delivered_at is None
    assert row.last_error
