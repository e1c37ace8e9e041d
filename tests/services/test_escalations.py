"""Escalation policies (issue 17 §5) on both backends with a fixed clock: the policies API, an
emergency escalated through three levels and acknowledged at level 2 (the fourth never
alerted, the callback made once), refusals, and two tickers on one PostgreSQL database
alerting each level once."""

from __future__ import annotations

import asyncio
import json

import httpx
from overpush import escalation_timer, escalations
from overpush.apps import app_for_token
from overpush.clock import FixedClock
from overpush.db import migrate
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import Message, Receipt, ReceiptCallback, User
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import func, select

from tests.callback_receiver import Receiver
from tests.checks import error_body
from tests.factories import make_app, make_user, user_with_device, with_device
from tests.services.receipts_helpers import START, clocked_server, fast


async def _messages_of(rt: Runtime, user_key: str) -> list[str]:
    async with rt.sessions() as session:
        return list((await session.scalars(
            select(Message.body).join(User, User.id == Message.user_id)
            .where(User.user_key == user_key))).all())


async def test_escalation_through_three_levels_acknowledged_at_level_two(
        settings: Settings) -> None:
    clock = FixedClock(START)
    s = fast(settings)
    base = s.base_url
    async with clocked_server(s, clock) as runner, httpx.AsyncClient(timeout=10) as http, \
            Receiver() as receiver:
        rt = runner.rt
        devices = [await user_with_device(rt, base, http, f"d{i}", connect=True)
                   for i in range(4)]
        ann, bob, carol, dave = (d.user_key for d in devices)
        owner = await make_user(rt)
        token = await make_app(rt, owner, "Pager")
        levels = [{"user": ann, "after": 0}, {"user": bob, "after": 60},
                  {"user": carol, "after": 120}, {"user": dave, "after": 600}]

        r = await http.post(f"{base}/1/escalations.json", data={
            "token": token, "name": "on call", "levels": json.dumps(levels)})
        assert r.status_code == 200, r.text
        policy = r.json()["escalation"]
        assert r.headers["X-Limit-App-Remaining"] == str(s.app_monthly_limit)
        r = await http.get(f"{base}/1/escalations.json", params={"token": token})
        assert r.json()["escalations"] == [
            {"escalation": policy, "name": "on call", "levels": levels}]

        r = await http.post(f"{base}/1/messages.json", data={
            "token": token, "user": ann, "message": "disk full", "priority": "2",
            "retry": "30", "expire": "3600", "escalation": str(policy),
            "callback": receiver.url})
        assert r.status_code == 200, r.text
        receipt = r.json()["receipt"]

        async def poll() -> dict[str, int]:
            answer = await http.get(f"{base}/1/receipts/{receipt}.json",
                                    params={"token": token})
            body: dict[str, int] = answer.json()
            return body

        assert (await poll())["escalation_level"] == 0
        assert (await poll())["escalated_at"] == int(START.timestamp())
        [first] = await devices[0].download_until(http, 1)
        assert first["message"] == "disk full" and first["receipt"] == receipt
        clock.advance(59)
        assert await escalation_timer.tick(rt) == 0
        assert await _messages_of(rt, bob) == []

        # Level 1 at 60 s, level 2 at 120 s: each in addition to the levels before.
        for level, after in ((1, 60), (2, 120)):
            clock.advance(after - (clock.now() - START).total_seconds())
            await escalation_timer.tick(rt)
            # On PostgreSQL the service's own loop may hold the row (SKIP LOCKED): wait for
            # its commit rather than for ours.
            for _ in range(500):
                if (body := await poll())["escalation_level"] == level:
                    break
                await asyncio.sleep(0.02)
            assert body["escalation_level"] == level
            assert body["escalated_at"] == int(START.timestamp()) + after
            [got] = await devices[level].download_until(http, 1)
            assert got["message"] == "disk full" and got["receipt"] == receipt
            assert got["priority"] == 2
        assert await _messages_of(rt, dave) == []

        # Carol (level 2) acknowledges: every level stops, the callback is made once.
        r = await http.post(f"{base}/1/receipts/{receipt}/acknowledge.json", data={
            "secret": devices[2].secret, "device_id": devices[2].device_id})
        assert r.status_code == 200, r.text
        [called] = await receiver.wait(1)
        assert called["acknowledged_by"] == carol and called["receipt"] == receipt
        body = await poll()
        assert (body["acknowledged"], body["acknowledged_by"]) == (1, carol)
        assert body["escalation_level"] == 2
        clock.advance(3600)
        assert await escalation_timer.tick(rt) == 0
        assert await _messages_of(rt, dave) == []  # level 3 never alerted
        async with rt.sessions() as session:
            row = await session.scalar(select(Receipt).where(Receipt.receipt == receipt))
            callbacks = await session.scalar(select(func.count()).select_from(ReceiptCallback))
        assert row is not None and row.next_level_at is None and row.next_attempt_at is None
        assert callbacks == 1 and len(receiver.received) == 1
        for d in devices:
            await d.close()


async def test_bad_policies_and_sends_are_refused(settings: Settings) -> None:
    s = fast(settings)
    base = s.base_url
    async with clocked_server(s, FixedClock(START)) as runner, \
            httpx.AsyncClient(timeout=10) as http:
        rt = runner.rt
        ann, bob = await with_device(rt), await with_device(rt)
        token = await make_app(rt, ann)
        levels_error = ('levels must be a JSON list of 1 to 10 {"user": KEY, "after": '
                        'SECONDS}, the first with after 0 and each later one after the one '
                        'before, up to 10800 seconds')
        for bad in ("", "[]", "{}", "not json", json.dumps([{"user": ann.user_key, "after": 5}]),
                    json.dumps([{"user": ann.user_key, "after": 0},
                                {"user": bob.user_key, "after": 0}]),
                    json.dumps([{"user": ann.user_key, "after": 0},
                                {"user": bob.user_key, "after": 10801}]),
                    json.dumps([{"user": "short", "after": 0}]),
                    json.dumps([{"user": ann.user_key, "after": True}])):
            r = await http.post(f"{base}/1/escalations.json",
                                data={"token": token, "name": "x", "levels": bad})
            error_body(r, 400, [levels_error], levels="invalid")
        r = await http.post(f"{base}/1/escalations.json", json={
            "token": token, "name": "x",
            "levels": json.dumps([{"user": "u" * 30, "after": 0}])})
        error_body(r, 400, ["user identifier is not a valid user, group, or subscribed user "
                            "key"], user="invalid")
        r = await http.post(f"{base}/1/escalations.json", data={
            "token": token, "name": "two",
            "levels": json.dumps([{"user": ann.user_key, "after": 0},
                                  {"user": bob.user_key, "after": 60}])})
        policy = r.json()["escalation"]
        send = {"token": token, "user": ann.user_key, "message": "m", "priority": "2",
                "retry": "30", "expire": "60", "escalation": str(policy)}
        r = await http.post(f"{base}/1/messages.json", data={**send, "user": bob.user_key})
        error_body(r, 400, ["user must be the key of the escalation policy's first level"],
                   user="invalid")
        r = await http.post(f"{base}/1/messages.json", data={**send, "priority": "1"})
        error_body(r, 400, ["escalation needs emergency priority (2)"],
                   escalation="invalid")
        other = await make_app(rt, ann, "Other")
        r = await http.post(f"{base}/1/messages.json", data={**send, "token": other})
        error_body(r, 400, ["escalation policy not found"], escalation="not found")
        r = await http.post(f"{base}/1/escalations/{policy}/delete.json",
                            data={"token": other})
        error_body(r, 400, ["escalation policy not found"], escalation="not found")
        r = await http.post(f"{base}/1/escalations/{policy}/delete.json",
                            data={"token": token})
        assert r.json()["status"] == 1
        r = await http.post(f"{base}/1/messages.json", data=send)
        error_body(r, 400, ["escalation policy not found"], escalation="not found")
        r = await http.get(f"{base}/1/escalations.xml", params={"token": token})
        assert r.status_code == 200 and "<escalations" in r.text


async def test_two_tickers_on_postgres_alert_each_level_once(pg_url: str) -> None:
    settings = Settings(database_url=pg_url, bus_url="memory://")
    clock = FixedClock(START)
    a, b = Runtime.build(settings, clock=clock), Runtime.build(settings, clock=clock)
    try:
        await migrate(a.engine)
        ann, bob = await with_device(a), await with_device(a)
        token = await make_app(a, ann)
        levels = json.dumps([{"user": ann.user_key, "after": 0},
                             {"user": bob.user_key, "after": 60}])
        async with a.sessions() as session, session.begin():
            app = await app_for_token(session, token)
            policy = await escalations.create(session, app, "p",
                                              escalations.parse_levels(levels), clock.now())
            policy_id = policy.id
        for _ in range(25):
            await accept(a, parse_message({
                "token": token, "user": ann.user_key, "message": "fire", "priority": "2",
                "retry": "30", "expire": "3600", "escalation": str(policy_id)}), "req")
        clock.advance(60)
        counts = await asyncio.gather(*(escalation_timer.tick(rt, limit=3)
                                        for rt in (a, b) * 9))
        assert sum(counts) == 25
        assert len(await _messages_of(a, bob.user_key)) == 25  # each level alerted once
    finally:
        await a.close()
        await b.close()
