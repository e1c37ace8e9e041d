"""Scheduled messages (issue 17 §2) on both backends with a fixed clock: accepted now, sent
through the intake at `send_at` (quota counted then, a refusal recorded), listed, cancelled;
the timer survives a restart and two replicas never send one twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from overpush import scheduled_timer
from overpush.clock import FixedClock, unix
from overpush.db import migrate
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import App, AppUsage, DedupKey, Message, ScheduledMessage
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import func, select, update

from services.runner import Runner
from tests.checks import count
from tests.factories import image_bytes, make_app, person, with_device
from tests.services.receipts_helpers import START, clocked_server, fast
from tests.waiting import until_awaited

HOUR = 3600


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Runner, FixedClock]]:
    clock = FixedClock(START)
    async with clocked_server(fast(settings), clock) as runner:
        yield runner, clock


async def _used(rt: Runtime) -> int:
    async with rt.sessions() as session:
        return int(await session.scalar(select(func.coalesce(func.sum(AppUsage.used), 0))) or 0)


async def test_a_scheduled_emergency_goes_out_at_its_time_with_its_receipt(
    clocked: tuple[Runner, FixedClock], http: httpx.AsyncClient, base_url: str
) -> None:
    server, clock = clocked
    ann = await person(server.rt, http, base_url, "laptop")
    token = await make_app(server.rt, ann.account)
    send_at = unix(START) + HOUR
    try:
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": ann.key, "message": "maintenance starts", "priority": "2",
            "retry": "60", "expire": "600", "send_at": str(send_at)})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"status", "request", "scheduled", "receipt"}
        assert r.headers["X-Limit-App-Remaining"] == "7500"  # counted when it goes out
        r = await http.get(f"{base_url}/1/scheduled.json", params={"token": token})
        (item,) = r.json()["scheduled"]
        assert item["id"] == body["scheduled"] and item["status"] == "pending"
        assert (item["send_at"], item["request"], item["receipt"]) == (
            send_at, body["request"], body["receipt"])
        assert await ann.device.download(http) == []
        r = await http.get(f"{base_url}/1/receipts/{body['receipt']}.json",
                           params={"token": token})
        assert r.status_code == 200, r.text
        assert {k: r.json()[k] for k in ("scheduled", "send_at", "expires_at", "expired",
                                         "last_delivered_at")} == {
            "scheduled": 1, "send_at": send_at, "expires_at": send_at + 600, "expired": 0,
            "last_delivered_at": 0}
        clock.advance(HOUR - 1)
        await asyncio.sleep(0.2)  # ticks run: not yet due
        assert await count(server.rt, Message) == 0
        clock.advance(1)
        (m,) = await ann.device.download_until(http, 1)
        assert (m["message"], m["receipt"], m["date"]) == (
            "maintenance starts", body["receipt"], send_at)
        r = await http.get(f"{base_url}/1/receipts/{body['receipt']}.json",
                           params={"token": token})
        assert r.json()["expires_at"] == send_at + 600  # counting from when it went out
        assert "scheduled" not in r.json() and r.json()["last_delivered_at"] == send_at
        r = await http.get(f"{base_url}/1/scheduled.xml", params={"token": token})
        assert "<status>sent</status>" in r.text
        assert await _used(server.rt) == 1
        # Its request is the one answered at scheduling time.
        async with server.rt.sessions() as session:
            assert await session.scalar(select(Message.request_id)) == body["request"]
    finally:
        await ann.close()


async def test_cancel_refusal_and_bad_input(
    clocked: tuple[Runner, FixedClock], http: httpx.AsyncClient, base_url: str
) -> None:
    server, clock = clocked
    ann = await person(server.rt, http, base_url, "laptop")
    token = await make_app(server.rt, ann.account)
    url = f"{base_url}/1/messages.json"

    async def schedule(message: str, delay: int, **extra: Any) -> httpx.Response:
        return await http.post(url, data={"token": token, "user": ann.key,
                                          "message": message,
                                          "send_at": str(unix(START) + delay)}, **extra)

    try:
        for delay in (31 * 86400, -HOUR):
            r = await schedule("out of range", delay)
            assert r.status_code == 400 and r.json()["errors"] == [
                "send_at must be a Unix timestamp in seconds within the next 30 days"]
        r = await http.post(url, data={"token": token, "user": "u" * 30, "message": "x",
                                       "send_at": str(unix(START) + 60)})
        assert r.status_code == 400 and "user" in r.json()  # checked when scheduled
        r = await schedule("with image", 60, files={"attachment": ("a.png", image_bytes())})
        assert r.status_code == 400 and r.json()["errors"] == [
            "a message with an attachment cannot be scheduled; send it without send_at"]
        keep, drop, over = [(await schedule(m, 60 * (i + 1))).json()["scheduled"]
                            for i, m in enumerate(("kept", "dropped", "over quota"))]
        r = await http.post(f"{base_url}/1/scheduled/{drop}/cancel.json", data={"token": token})
        assert r.status_code == 200, r.text
        r = await http.post(f"{base_url}/1/scheduled/{drop}/cancel.json", data={"token": token})
        assert r.status_code == 400 and r.json()["errors"][0].startswith(
            "scheduled message not found")
        clock.advance(60)
        (m,) = await ann.device.download_until(http, 1)
        assert m["message"] == "kept"
        async with server.rt.sessions() as session, session.begin():
            await session.execute(update(App).where(App.token == token).values(monthly_limit=1))
        clock.advance(HOUR)

        async def refused() -> bool:
            r = await http.get(f"{base_url}/1/scheduled.json", params={"token": token})
            return any(s["status"] == "refused" for s in r.json()["scheduled"])

        await until_awaited(refused, "the over-quota message is refused")
        r = await http.get(f"{base_url}/1/scheduled.json", params={"token": token})
        status = {s["id"]: (s["status"], s.get("refusal")) for s in r.json()["scheduled"]}
        assert status == {
            keep: ("sent", None), drop: ("cancelled", None),
            over: ("refused", "application has exceeded its monthly message limit")}
        assert [m["message"] for m in await ann.device.download(http)] == ["kept"]
    finally:
        await ann.close()


async def test_the_timer_survives_a_restart_of_its_process(
    settings: Settings, http: httpx.AsyncClient, base_url: str
) -> None:
    clock = FixedClock(START)
    s = fast(settings)
    async with clocked_server(s, clock) as first:
        ann = await person(first.rt, http, base_url, "laptop", connect=False)
        token = await make_app(first.rt, ann.account)
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": ann.key, "message": "after the restart",
            "send_at": str(unix(START) + HOUR)})
        assert r.status_code == 200, r.text
    clock.advance(2 * HOUR)  # due while nothing runs
    async with clocked_server(s, clock) as second:
        # The timer commits the message; the dispatcher queues it for the device after that,
        # from the event: wait for the device's copy, not for the message row.
        got = await until_awaited(lambda: ann.device.download(http),
                                  "the restarted process sends it to the device")
        assert [m["message"] for m in got] == ["after the restart"]
        assert await count(second.rt, Message) == 1
        assert await _used(second.rt) == 1


async def test_two_replicas_never_send_one_twice(pg_url: str) -> None:
    """Timers on PostgreSQL shared by two replicas (FOR UPDATE SKIP LOCKED), ticking at once."""
    settings = Settings(database_url=pg_url, bus_url="memory://")
    clock = FixedClock(START)
    a, b = Runtime.build(settings, clock=clock), Runtime.build(settings, clock=clock)
    try:
        await migrate(a.engine)
        ann = await with_device(a)
        token = await make_app(a, ann)
        for i in range(60):
            draft = parse_message({"token": token, "user": ann.user_key, "message": f"m{i}",
                                   "send_at": str(unix(START) + 60)})
            assert (await accept(a, draft, f"req-{i}")).scheduled
        clock.advance(timedelta(seconds=60).total_seconds())
        counts = await asyncio.gather(*(scheduled_timer.tick(rt, limit=7) for rt in (a, b) * 12))
        assert sum(counts) == 60
        async with a.sessions() as session:
            sent = (await session.scalars(select(Message.request_id))).all()
        assert sorted(sent) == sorted(f"req-{i}" for i in range(60))  # each exactly once
        assert await _used(a) == 60
    finally:
        await a.close()
        await b.close()


async def test_finished_messages_and_closed_dedup_keys_are_purged(settings: Settings) -> None:
    rt = Runtime.build(settings.model_copy(update={"bus_url": "memory://"}),
                       clock=FixedClock(START))
    try:
        await migrate(rt.engine)
        ann = await with_device(rt)
        token = await make_app(rt, ann)
        for i, extra in enumerate(({"send_at": str(unix(START) + 60)},
                                   {"send_at": str(unix(START) + 7200)},
                                   {"dedup_key": "k", "dedup_window": "60"},
                                   {"dedup_key": "long", "dedup_window": str(30 * 86400)})):
            await accept(rt, parse_message({"token": token, "user": ann.user_key,
                                            "message": "m", **extra}), f"req-{i}")
        clock = rt.clock
        assert isinstance(clock, FixedClock)
        clock.advance(60)
        assert await scheduled_timer.tick(rt) == 1  # the first goes out; the second waits
        clock.advance(8 * 86400)  # the second is overdue but nothing ticks here: it waits
        # Sent 8 days ago: gone; pending: kept. Key "k" closed a week ago: gone; "long": open.
        assert await scheduled_timer.purge(rt) == (1, 1)
        assert await count(rt, ScheduledMessage) == 1 and await count(rt, DedupKey) == 1
    finally:
        await rt.close()
