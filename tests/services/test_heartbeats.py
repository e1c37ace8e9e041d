"""Heartbeat monitors (issue 17 §3) on both backends with a fixed clock: the API over real
HTTP, a missed heartbeat alerting once and recovering, pings rate-limited per key, and two
tickers on one PostgreSQL database never sending a missed heartbeat twice."""

from __future__ import annotations

import asyncio

import httpx
from overpush import heartbeats
from overpush.apps import app_for_token
from overpush.clock import FixedClock
from overpush.db import migrate
from overpush.models import Heartbeat, Message, Receipt
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import select

from testkit.device import DesktopDevice
from tests.checks import count, error_body
from tests.factories import make_app, make_user, with_device
from tests.services.receipts_helpers import START, clocked_server, fast
from tests.waiting import until


async def _row(rt: Runtime, key: str) -> Heartbeat:
    async with rt.sessions() as session:
        hb = await session.scalar(select(Heartbeat).where(Heartbeat.key == key))
    assert hb is not None
    return hb


async def test_heartbeat_misses_once_recovers_and_is_listed(settings: Settings) -> None:
    clock = FixedClock(START)
    s = fast(settings)
    base = s.base_url
    async with clocked_server(s, clock) as runner, httpx.AsyncClient(timeout=10) as http:
        rt = runner.rt
        ann = await make_user(rt)
        laptop = DesktopDevice(base, ann.email, ann.password, name="laptop")
        await laptop.login(http)
        await laptop.register(http)
        await laptop.connect()
        token = await make_app(rt, ann, "Cron")

        r = await http.post(f"{base}/1/heartbeats.json", data={
            "token": token, "user": ann.user_key, "name": "nightly backup", "period": "3600",
            "grace": "600", "sound": "siren"})
        assert r.status_code == 200, r.text
        key = r.json()["heartbeat"]
        assert r.json()["ping_url"] == f"{base}/1/heartbeats/{key}/ping.json"
        assert r.headers["X-Limit-App-Limit"] == str(s.app_monthly_limit)

        # Pings: GET or POST with nothing but the key; a second within one second is
        # answered but not stored.
        r = await http.get(f"{base}/1/heartbeats/{key}/ping.json")
        assert r.json() == {"state": "up", "stored": 1, "status": 1,
                            "request": r.json()["request"]}
        first = (await _row(rt, key)).last_ping_at
        clock.advance(0.5)
        r = await http.post(f"{base}/1/heartbeats/{key}/ping.json")
        assert r.json()["stored"] == 0
        assert (await _row(rt, key)).last_ping_at == first

        # Just before the deadline nothing happens; past it the alert goes out once.
        clock.advance(3600 + 600 - 1)
        assert await heartbeats.tick(rt) == 0
        assert (await _row(rt, key)).state == "up"
        clock.advance(2)
        await until(lambda: laptop.ws is not None, "the laptop's socket")
        [alert] = await laptop.receive(http)
        assert alert["title"] == "nightly backup: heartbeat missed"
        assert alert["message"] == ("No ping from nightly backup within 70 min "
                                    "(last ping 70 min ago).")
        assert alert["sound"] == "siren"
        clock.advance(7200)
        assert await heartbeats.tick(rt) == 0  # down: nothing more is due
        hb = await _row(rt, key)
        assert (hb.state, hb.alerts, hb.due_at) == ("down", 1, None)  # sent once only

        r = await http.get(f"{base}/1/heartbeats.json", params={"token": token})
        [listed] = r.json()["heartbeats"]
        assert listed["state"] == "down" and listed["alerts"] == 1
        assert first is not None and listed["last_ping_at"] == int(first.timestamp())
        assert listed["down_since"] > listed["last_ping_at"]

        # The first ping after: "recovered"; the timer runs again.
        r = await http.get(f"{base}/1/heartbeats/{key}/ping.xml")
        assert r.status_code == 200 and "<state>up</state>" in r.text
        [recovered] = await laptop.receive(http)
        assert recovered["title"] == "nightly backup: recovered"
        assert "after 2 h 0 min down" in recovered["message"]
        hb = await _row(rt, key)
        assert hb.state == "up" and hb.due_at is not None and hb.down_at is None

        # Only the owning application deletes; then the key is gone.
        other = await make_app(rt, ann, "Other")
        r = await http.post(f"{base}/1/heartbeats/{key}/delete.json", data={"token": other})
        error_body(r, 400, ["heartbeat not found"], heartbeat="not found")
        r = await http.post(f"{base}/1/heartbeats/{key}/delete.json", data={"token": token})
        assert r.json()["status"] == 1
        r = await http.get(f"{base}/1/heartbeats/{key}/ping.json")
        error_body(r, 400, ["heartbeat not found"], heartbeat="not found")
        r = await http.get(f"{base}/1/heartbeats.json", params={"token": token})
        assert r.json()["heartbeats"] == []
        await laptop.close()


async def test_emergency_heartbeat_stops_re_alerting_when_it_recovers(
        settings: Settings) -> None:
    rt = Runtime.build(fast(settings), clock=FixedClock(START))
    await migrate(rt.engine)
    try:
        ann = await with_device(rt)
        token = await make_app(rt, ann)
        spec = heartbeats.parse({"token": token, "user": ann.user_key, "name": "db",
                                 "period": "60", "priority": "2", "retry": "60",
                                 "expire": "3600", "message": "database unreachable"})
        async with rt.sessions() as session, session.begin():
            app = await app_for_token(session, token)
            hb = await heartbeats.create(session, app, spec, rt.clock.now())
            key = hb.key
        assert await heartbeats.tick(rt) == 0
        assert isinstance(rt.clock, FixedClock)
        rt.clock.advance(61)
        assert await heartbeats.tick(rt) == 1
        assert await heartbeats.tick(rt) == 0
        hb = await _row(rt, key)
        assert hb.alert_receipt is not None and hb.state == "down"
        async with rt.sessions() as session:
            body = await session.scalar(select(Message.body).where(Message.priority == 2))
        assert body == "database unreachable"
        rt.clock.advance(30)
        async with rt.sessions() as session, session.begin():
            _, stored = await heartbeats.ping(session, rt, key, rt.clock.now())
        assert stored
        async with rt.sessions() as session:
            receipt = await session.scalar(
                select(Receipt).where(Receipt.receipt == hb.alert_receipt))
            recovered = await session.scalar(select(Message.priority).where(
                Message.title == "db: recovered"))
        assert receipt is not None and receipt.cancelled_at is not None
        assert recovered == 1  # the all-clear is never an emergency itself
    finally:
        await rt.close()


async def test_bad_heartbeats_are_refused_in_pushovers_envelope(settings: Settings) -> None:
    s = fast(settings)
    base = s.base_url
    async with clocked_server(s, FixedClock(START)) as runner, \
            httpx.AsyncClient(timeout=10) as http:
        ann = await with_device(runner.rt)
        token = await make_app(runner.rt, ann)
        r = await http.post(f"{base}/1/heartbeats.json", data={
            "token": token, "user": ann.user_key, "name": "", "period": "5",
            "grace": "-1", "priority": "2"})
        error_body(r, 400, [
            "name must have 1 to 100 characters",
            "period must be a whole number of seconds from 10 to 2678400 (31 days)",
            "grace must be a whole number of seconds from 0 to 2678400 (31 days)",
            "retry is required for emergency priority and must be at least 30 seconds",
            "expire is required for emergency priority and must be at most 10800 seconds",
        ], name="invalid", period="invalid", grace="invalid", retry="invalid",
            expire="invalid")
        r = await http.post(f"{base}/1/heartbeats.json", json={
            "token": token, "user": "u" * 30, "name": "x", "period": 60})
        error_body(r, 400, ["user identifier is not a valid user, group, or subscribed user "
                            "key"], user="invalid")
        r = await http.get(f"{base}/1/heartbeats.json", params={"token": "t" * 30})
        error_body(r, 400, ["application token is invalid"], token="invalid")
        r = await http.get(f"{base}/1/heartbeats/not-a-key/ping.json")
        error_body(r, 400, ["heartbeat not found"], heartbeat="not found")
        assert await count(runner.rt, Heartbeat) == 0


async def test_two_tickers_on_postgres_send_each_missed_heartbeat_once(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, bus_url="memory://")
    clock = FixedClock(START)
    a, b = Runtime.build(settings, clock=clock), Runtime.build(settings, clock=clock)
    try:
        await migrate(a.engine)
        ann = await with_device(a)
        token = await make_app(a, ann)
        async with a.sessions() as session, session.begin():
            app = await app_for_token(session, token)
            for i in range(30):
                spec = heartbeats.parse({"token": token, "user": ann.user_key,
                                         "name": f"job {i}", "period": "60"})
                await heartbeats.create(session, app, spec, clock.now())
        clock.advance(61)
        counts = await asyncio.gather(*(heartbeats.tick(rt, limit=4) for rt in (a, b) * 6))
        assert sum(counts) == 30
        async with a.sessions() as session:
            titles = list((await session.scalars(select(Message.title))).all())
        assert sorted(titles) == sorted(f"job {i}: heartbeat missed" for i in range(30))
    finally:
        await a.close()
        await b.close()
