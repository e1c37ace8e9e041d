"""Dedup and resolve keys (issue 17 §4) over real HTTP on both backends: one open message per
app, `user` value and key; resolving stops its re-alerts and may send a "resolved" message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from overpush import receipt_timer
from overpush.clock import FixedClock
from overpush.models import AppUsage, Message, Receipt
from overpush.settings import Settings
from sqlalchemy import func, select

from services.runner import Runner
from tests.checks import count
from tests.factories import Person, make_app, person
from tests.services.receipts_helpers import START, clocked_server, fast


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Runner, FixedClock]]:
    clock = FixedClock(START)
    async with clocked_server(fast(settings), clock) as runner:
        yield runner, clock


async def _used(server: Runner) -> int:
    async with server.rt.sessions() as session:
        return int(await session.scalar(select(func.coalesce(func.sum(AppUsage.used), 0))) or 0)


async def test_a_key_alerts_once_while_open_then_again_after_its_window(
    clocked: tuple[Runner, FixedClock], http: httpx.AsyncClient, base_url: str
) -> None:
    server, clock = clocked
    cat = await person(server.rt, http, base_url, "laptop")
    dog = await person(server.rt, http, base_url, "phone")
    token = await make_app(server.rt, cat.account)
    url = f"{base_url}/1/messages.json"

    async def send(user: str, message: str, **extra: str) -> dict[str, Any]:
        r = await http.post(url, data={"token": token, "user": user, "message": message,
                                       "dedup_key": "disk:db-1", "dedup_window": "600",
                                       **extra})
        assert r.status_code == 200, r.text
        return dict(r.json()) | {"remaining": r.headers["X-Limit-App-Remaining"]}

    try:
        first = await send(f"{cat.key},{dog.key}", "disk full")
        assert "deduplicated" not in first and first["remaining"] == "7498"
        # Same app, same users in another order, same key: answered, not sent, not counted.
        again = await send(f"{dog.key},{cat.key}", "disk still full")
        assert again == {"status": 1, "request": first["request"], "deduplicated": 1,
                         "remaining": "7498"}
        # Another `user` value is another incident.
        solo = await send(cat.key, "only cat")
        assert "deduplicated" not in solo
        assert [m["message"] for m in await cat.device.download_until(http, 2)] == [
            "disk full", "only cat"]
        assert [m["message"] for m in await dog.device.download(http)] == ["disk full"]
        assert await _used(server) == 3
        clock.advance(601)  # the window is over: the key opens again
        later = await send(f"{cat.key},{dog.key}", "disk full again")
        assert "deduplicated" not in later and later["request"] != first["request"]
        assert await _used(server) == 5
    finally:
        await cat.close()
        await dog.close()


async def test_resolve_stops_re_alerts_and_sends_the_resolved_message(
    clocked: tuple[Runner, FixedClock], http: httpx.AsyncClient, base_url: str
) -> None:
    server, clock = clocked
    ann = await person(server.rt, http, base_url, "laptop")
    token = await make_app(server.rt, ann.account)
    alert = {"token": token, "user": ann.key, "message": "db down", "priority": "2",
             "retry": "60", "expire": "3600", "dedup_key": "db-down"}
    try:
        r = await http.post(f"{base_url}/1/messages.json", data=alert)
        assert r.status_code == 200, r.text
        receipt, request = r.json()["receipt"], r.json()["request"]
        r = await http.post(f"{base_url}/1/messages.json", data=alert)
        assert r.json() == {"status": 1, "request": request, "receipt": receipt,
                            "deduplicated": 1}
        # Bad input first: nothing is resolved by a refused call.
        r = await http.post(f"{base_url}/1/dedup/a%20b/resolve.json", data={"token": token})
        assert r.status_code == 400 and r.json()["errors"][0].startswith("dedup_key is invalid")
        r = await http.post(f"{base_url}/1/dedup/db-down/resolve.json", data={
            "token": token, "message": ""})
        assert r.status_code == 400 and r.json()["errors"] == ["message cannot be blank"]
        r = await http.post(f"{base_url}/1/dedup/db-down/resolve.json", data={
            "token": token, "user": ann.key, "message": "db is back", "title": "resolved"})
        assert r.status_code == 200, r.text
        assert r.json()["resolved"] == 1 and "X-Limit-App-Remaining" in r.headers
        r = await http.get(f"{base_url}/1/receipts/{receipt}.json", params={"token": token})
        assert r.json()["resolved"] == 1 and r.json()["resolved_at"] > 0
        assert r.json()["expired"] == 1 and r.json()["acknowledged"] == 0
        clock.advance(120)  # past two retry slots: nothing is re-alerted
        await receipt_timer.tick(server.rt)
        async with server.rt.sessions() as session:
            row = await session.scalar(select(Receipt).where(Receipt.receipt == receipt))
        assert row is not None and row.attempts == 0 and row.next_attempt_at is None
        got = await ann.device.download_until(http, 2)
        assert [(m["message"], m.get("title")) for m in got] == [
            ("db down", None), ("db is back", "resolved")]
        # Resolving again finds nothing open (and sends nothing); the key alerts anew.
        r = await http.post(f"{base_url}/1/dedup/db-down/resolve.xml", data={
            "token": token, "message": "again"})
        assert r.status_code == 200 and "<resolved type=\"integer\">0</resolved>" in r.text
        r = await http.post(f"{base_url}/1/messages.json", data=alert)
        assert "deduplicated" not in r.json() and r.json()["receipt"] != receipt
        assert await count(server.rt, Message) >= 3
    finally:
        await ann.close()


@pytest.mark.timeout(180)
async def test_dedup_storm_delivers_once_and_charges_once(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    """200 concurrent sends with one key: one message, one unit of quota, one request."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=60, limits=limits) as blast:
        answers = await asyncio.gather(*(blast.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": ann.key, "message": f"cpu hot #{i}",
            "dedup_key": "cpu-hot"}) for i in range(200)))
    assert [r.status_code for r in answers] == [200] * 200
    requests = {r.json()["request"] for r in answers}
    assert len(requests) == 1
    assert sum("deduplicated" not in r.json() for r in answers) == 1
    assert await count(server.rt, Message) == 1
    assert await _used(server) == 1
    (m,) = await ann.device.receive(http, 1)
    assert m["message"].startswith("cpu hot #")
    assert await ann.device.download(http) == []
