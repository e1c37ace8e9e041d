"""The receipts service's steps on both backends, driven by a FixedClock: the ticker, the
receipts API, expiry, callbacks with back-off, retention, and two tickers on one database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from overpush import receipt_callbacks, receipt_timer, receipts
from overpush.clock import FixedClock
from overpush.db import migrate
from overpush.events import ReceiptsRetryDue, decode
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import (
    Delivery,
    Message,
    OutboxEvent,
    Receipt,
    ReceiptCallback,
    ReceiptMessage,
)
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import delete, func, select

from testkit.device import DesktopDevice
from tests.callback_receiver import Receiver
from tests.factories import Account, make_app, make_user, with_device
from tests.services.receipts_helpers import START, clocked_server, fast


@pytest.fixture
async def rt(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime.build(fast(settings), clock=FixedClock(START))
    await migrate(runtime.engine)
    yield runtime
    await runtime.close()


def clock_of(rt: Runtime) -> FixedClock:
    assert isinstance(rt.clock, FixedClock)
    return rt.clock


async def send(rt: Runtime, token: str, users: list[Account], **extra: str) -> str:
    params = {"token": token, "user": ",".join(u.user_key for u in users), "message": "fire",
              "priority": "2", "retry": "30", "expire": "3600", **extra}
    accepted = await accept(rt, parse_message(params), "req")
    assert accepted.receipt is not None
    return accepted.receipt


async def row(rt: Runtime, receipt: str) -> Receipt:
    async with rt.sessions() as session:
        r = await session.scalar(select(Receipt).where(Receipt.receipt == receipt))
    assert r is not None
    return r


async def realerted(rt: Runtime) -> list[int]:
    """Receipt ids announced for re-alert so far (the outbox is not relayed in these tests)."""
    async with rt.sessions() as session:
        events = (await session.scalars(select(OutboxEvent).where(
            OutboxEvent.routing_key == ReceiptsRetryDue.routing_key).order_by(OutboxEvent.id)
        )).all()
    out: list[int] = []
    for e in events:
        ev = decode(e.routing_key, e.body)
        assert isinstance(ev, ReceiptsRetryDue)
        out += ev.receipt_ids
    return out


async def test_ticker_re_alerts_each_recipient_message_until_expiry(rt: Runtime) -> None:
    ann, bob = await with_device(rt), await with_device(rt)
    token = await make_app(rt, ann)
    receipt = await send(rt, token, [ann, bob], retry="30", expire="75")
    r = await row(rt, receipt)
    async with rt.sessions() as session:
        covered = (await session.scalars(select(ReceiptMessage.user_id).where(
            ReceiptMessage.receipt_id == r.id))).all()
    assert len(covered) == 2  # one message row per recipient user
    assert r.next_attempt_at == START + timedelta(seconds=30)

    clock = clock_of(rt)
    clock.advance(29.9)
    assert await receipt_timer.tick(rt) == 0
    clock.advance(0.1)
    assert await receipt_timer.tick(rt) == 1
    assert await receipt_timer.tick(rt) == 0  # advanced: not due twice
    clock.advance(30)
    await receipt_timer.tick(rt)
    r = await row(rt, receipt)
    # Slots at 30 and 60 s; the next (90 s) is past expiry (75 s), so it closes now.
    assert (r.attempts, r.next_attempt_at) == (2, None)
    assert r.closed_at == START + timedelta(seconds=60)
    assert await realerted(rt) == [r.id, r.id]
    clock.advance(30)
    assert receipts.view(r, clock.now())["expired"] == 1  # past expires_at (75 s)


async def test_two_tickers_on_postgres_alert_each_receipt_once(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, bus_url="memory://")
    clock = FixedClock(START)
    a, b = Runtime.build(settings, clock=clock), Runtime.build(settings, clock=clock)
    try:
        await migrate(a.engine)
        ann = await with_device(a)
        token = await make_app(a, ann)
        sent = [await send(a, token, [ann]) for _ in range(60)]
        clock.advance(30)
        counts = await asyncio.gather(*(receipt_timer.tick(rt, limit=7) for rt in (a, b) * 12))
        assert sum(counts) == 60
        ids = await realerted(a)
        assert sorted(ids) == sorted({(await row(a, s)).id for s in sent})  # each exactly once
    finally:
        await a.close()
        await b.close()


async def test_callback_retried_with_backoff_then_recorded(rt: Runtime) -> None:
    ann = await with_device(rt)
    token = await make_app(rt, ann)
    async with Receiver(fail_first=2) as receiver:
        receipt = await send(rt, token, [ann], callback=receiver.url)
        r = await row(rt, receipt)
        async with rt.sessions() as session, session.begin():
            assert await receipts.acknowledge(session, r, ann.user_key, "phone", rt.clock.now())
        async with rt.sessions() as session, session.begin():
            assert not await receipts.acknowledge(session, r, "someone", "else", rt.clock.now())
        clock = clock_of(rt)
        assert await receipt_callbacks.deliver_due(rt) == 1  # 500
        assert await receipt_callbacks.deliver_due(rt) == 0  # backing off
        clock.advance(5)
        assert await receipt_callbacks.deliver_due(rt) == 1  # 500 again
        clock.advance(5)
        assert await receipt_callbacks.deliver_due(rt) == 0  # second back-off is longer
        clock.advance(10)
        assert await receipt_callbacks.deliver_due(rt) == 1
        assert receiver.answered == [500, 500, 200]
        assert receiver.received[0]["acknowledged_by_device"] == "phone"
    view = receipts.view(await row(rt, receipt), rt.clock.now())
    assert view["called_back"] == 1 and view["called_back_at"] == int(START.timestamp()) + 20
    assert view["acknowledged_by"] == ann.user_key


async def test_callback_refused_at_call_time_is_not_made(rt: Runtime) -> None:
    ann = await with_device(rt)
    token = await make_app(rt, ann)
    async with Receiver() as receiver:
        receipt = await send(rt, token, [ann], callback=receiver.url)
        r = await row(rt, receipt)
        async with rt.sessions() as session, session.begin():
            await receipts.acknowledge(session, r, ann.user_key, "phone", rt.clock.now())
        # The operator withdrew the permission: the address is checked again when calling.
        rt.settings = rt.settings.model_copy(update={"callback_allow_private": False})
        assert await receipt_callbacks.deliver_due(rt) == 1
        assert receiver.answered == []
    async with rt.sessions() as session:
        cb = await session.get(ReceiptCallback, r.id)
    assert cb is not None and cb.next_attempt_at is None and cb.delivered_at is None
    assert cb.last_error is not None and "private" in cb.last_error


async def test_retention_keeps_open_receipt_messages_and_purges_after_a_week(
        rt: Runtime) -> None:
    ann = await with_device(rt)
    token = await make_app(rt, ann)
    receipt = await send(rt, token, [ann], retry="30", expire="60")
    async with rt.sessions() as session, session.begin():
        await session.execute(Message.__table__.update().values(dispatched_at=rt.clock.now()))
        await session.execute(delete(Delivery))
    assert await receipt_timer.purge(rt) == (0, 0)  # open: the message row must stay
    clock = clock_of(rt)
    clock.advance(60)
    await receipt_timer.tick(rt)
    clock.advance(30)
    await receipt_timer.tick(rt)
    assert (await row(rt, receipt)).closed_at is not None
    assert await receipt_timer.purge(rt) == (1, 0)  # closed: the message goes
    clock.advance(timedelta(days=7).total_seconds() - 60)
    assert await receipt_timer.purge(rt) == (0, 0)
    clock.advance(120)
    assert await receipt_timer.purge(rt) == (0, 1)
    async with rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReceiptMessage)) == 0


async def test_receipts_api(settings: Settings) -> None:
    clock = FixedClock(START)
    s = fast(settings)
    base = f"http://{s.http_host}:{s.http_port}"
    async with clocked_server(s, clock) as runner, httpx.AsyncClient(timeout=10) as http:
        rt = runner.rt
        ann = await make_user(rt)
        device = DesktopDevice(base, ann.email, ann.password, name="phone")
        await device.login(http)
        await device.register(http)
        token, other = await make_app(rt, ann), await make_app(rt, ann, "Other")
        one = await send(rt, token, [ann], tags="db,prod")
        two = await send(rt, token, [ann], tags="db")
        three = await send(rt, token, [ann], tags="web")

        def get(receipt: str, tok: str = token) -> httpx.Response:
            return http.get(f"{base}/1/receipts/{receipt}.json", params={"token": tok})

        r = await get(one)
        body = r.json()
        for key in ("acknowledged", "acknowledged_at", "acknowledged_by",
                    "acknowledged_by_device", "last_delivered_at", "expired", "expires_at",
                    "called_back", "called_back_at", "status", "request"):
            assert key in body
        assert (body["acknowledged_by"], body["called_back_at"]) == ("", 0)

        for bad in (await get(one, other), await get("x" * 30), await get("short")):
            assert bad.status_code == 400
            assert bad.json()["receipt"] == "not found"
            assert bad.json()["errors"] == ["receipt not found; may be invalid or expired"]
        assert (await get(one, "t" * 30)).json()["token"] == "invalid"

        r = await http.post(f"{base}/1/receipts/cancel_by_tag/db.json", data={"token": other})
        assert r.json()["canceled"] == 0  # another application's tags are not its own
        r = await http.post(f"{base}/1/receipts/cancel_by_tag/db.json", data={"token": token})
        assert r.status_code == 200 and r.json()["canceled"] == 2
        r = await http.post(f"{base}/1/receipts/{three}/cancel.json", data={"token": other})
        assert r.status_code == 400
        r = await http.post(f"{base}/1/receipts/{three}/cancel.json", data={"token": token})
        assert r.status_code == 200 and r.json()["status"] == 1
        for receipt in (one, two, three):
            rr = await row(rt, receipt)
            assert rr.cancelled_at is not None and rr.next_attempt_at is None
            assert (await get(receipt)).json()["expired"] == 1

        r = await http.post(f"{base}/1/receipts/{one}/acknowledge.json",
                            data={"secret": "nope"})
        assert r.status_code == 400 and r.json()["secret"] == "invalid"
        bob = await make_user(rt)
        bob_dev = DesktopDevice(base, bob.email, bob.password)
        await bob_dev.login(http)
        r = await http.post(f"{base}/1/receipts/{one}/acknowledge.json",
                            data={"secret": bob_dev.secret})
        assert r.status_code == 400 and r.json()["receipt"] == "not found"  # not a recipient
        r = await http.post(f"{base}/1/receipts/{one}/acknowledge.json",
                            data={"secret": device.secret})
        assert r.status_code == 200
        body = (await get(one)).json()
        assert body["acknowledged"] == 1 and body["acknowledged_by_device"] == "phone"
