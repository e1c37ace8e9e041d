"""Exact admission (design: one conditional UPDATE): 200 concurrent sends against 50 left get
exactly 50 accepted, with and without purchased capacity; limits.json and the headers agree."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from overpush.models import App, AppCapacity, AppUsage, Message
from overpush.quota import period_of, reserve, reserve_many
from overpush.runtime import Runtime
from sqlalchemy import func, select, update

from services.admin import accounts as admin
from services.admin.lookup import AdminError
from services.runner import Runner
from tests.factories import make_app, make_user, user_with_device


async def _blast(base_url: str, token: str, user: str, n: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        return await asyncio.gather(*[
            http.post(f"{base_url}/1/messages.json",
                      data={"token": token, "user": user, "message": f"m{i}"})
            for i in range(n)
        ])


@pytest.mark.timeout(180)
async def test_two_hundred_concurrent_against_fifty_left(server: Runner, base_url: str) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http)
        token = await make_app(rt, await make_user(rt))
        await admin.set_limit(rt, token, 60)
        for _ in range(10):  # 10 used: 50 remain
            r = await http.post(f"{base_url}/1/messages.json",
                                data={"token": token, "user": dev.user_key, "message": "x"})
            assert r.status_code == 200
        r = await http.get(f"{base_url}/1/apps/limits.json", params={"token": token})
        assert (r.json()["limit"], r.json()["remaining"]) == (60, 50)

    answers = await _blast(base_url, token, dev.user_key, 200)
    codes = [r.status_code for r in answers]
    assert codes.count(200) == 50 and codes.count(429) == 150, sorted(set(codes))
    refused = next(r for r in answers if r.status_code == 429)
    body = refused.json()
    assert body["token"] == "over quota" and body["status"] == 0 and body["request"]
    assert body["errors"] == ["application has exceeded its monthly message limit"]
    assert refused.headers["X-Limit-App-Remaining"] == "0"
    remaining = sorted(int(r.headers["X-Limit-App-Remaining"]) for r in answers
                       if r.status_code == 200)
    assert remaining == list(range(50))  # every admission saw its own exact count
    async with rt.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) <= 60
        assert await s.scalar(select(AppUsage.used)) == 60
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{base_url}/1/apps/limits.json", params={"token": token})
        assert (r.json()["limit"], r.json()["remaining"]) == (60, 0)
        assert r.json()["reset"] == int(period_of(rt.clock.now()).reset_at.timestamp())


@pytest.mark.timeout(180)
async def test_free_first_then_purchased_exactly(server: Runner, base_url: str) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http)
        owner = await make_user(rt)
        token = await make_app(rt, owner)
        await admin.set_limit(rt, token, 20)
        out = await admin.add_capacity(rt, token, 10_000)
        assert out["capacity_remaining"] == 10_000
        r = await http.get(f"{base_url}/1/apps/limits.json", params={"token": token})
        assert (r.json()["limit"], r.json()["remaining"]) == (10_020, 10_020)
        # Pretend most of the pack was used, to reach its end with few requests.
        async with rt.sessions() as s, s.begin():
            await s.execute(update(AppCapacity).values(remaining=30))
        # 20 free + 30 purchased = 50 messages.
        r = await http.post(f"{base_url}/1/messages.json",
                            data={"token": token, "user": dev.user_key, "message": "one"})
        assert r.headers["X-Limit-App-Limit"] == "50"
        assert r.headers["X-Limit-App-Remaining"] == "49"

    answers = await _blast(base_url, token, dev.user_key, 200)
    codes = [r.status_code for r in answers]
    assert codes.count(200) == 49 and codes.count(429) == 151
    async with rt.sessions() as s:
        assert await s.scalar(select(AppUsage.used)) == 20
        assert await s.scalar(select(AppCapacity.remaining)) == 0
        assert await s.scalar(select(AppCapacity.purchased)) == 10_000
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{base_url}/1/apps/limits.json", params={"token": token})
        assert (r.json()["limit"], r.json()["remaining"]) == (20, 0)
        with pytest.raises(AdminError, match="packs"):
            await admin.add_capacity(rt, token, 12_345)


NOW = datetime(2026, 11, 27, tzinfo=UTC)


async def app_with_capacity(rt: Runtime, remaining: int) -> int:
    """An application with a purchased pack of which `remaining` is left; its id."""
    token = await make_app(rt, await make_user(rt))
    await admin.add_capacity(rt, token, 10_000)
    async with rt.sessions() as s, s.begin():
        app_id = await s.scalar(select(App.id).where(App.token == token))
        assert app_id is not None
        await s.execute(update(AppCapacity).values(remaining=remaining))
    return app_id


async def test_a_request_spanning_free_and_purchased_takes_both_or_neither(
    runtime: Runtime,
) -> None:
    app_id = await app_with_capacity(runtime, 3)
    async with runtime.sessions() as s, s.begin():
        ok, a = await reserve(s, app_id, 4, 5, NOW)  # 4 of 5 free
        assert ok and (a.limit, a.remaining) == (8, 4)
    async with runtime.sessions() as s, s.begin():
        ok, a = await reserve(s, app_id, 3, 5, NOW)  # 1 free + 2 purchased
        assert ok and (a.limit, a.remaining) == (6, 1)
    async with runtime.sessions() as s:
        assert (await s.execute(select(AppUsage.used, AppUsage.last_take))).one() == (5, 1)
    async with runtime.sessions() as s, s.begin():
        ok, a = await reserve(s, app_id, 2, 5, NOW)  # only 1 left: refused ...
        assert not ok and (a.limit, a.remaining) == (6, 1)
    async with runtime.sessions() as s:  # ... and committed as is, nothing was taken
        assert await s.scalar(select(AppUsage.used)) == 5
        assert await s.scalar(select(AppCapacity.remaining)) == 1


async def test_several_requests_are_admitted_in_order_as_if_alone(runtime: Runtime) -> None:
    """reserve_many, as a group commit calls it: one UPDATE when all fit, else each in turn."""
    app_id = await app_with_capacity(runtime, 2)
    async with runtime.sessions() as s, s.begin():
        fits = await reserve_many(s, app_id, [1, 2, 3], 10, NOW)  # 6 of 10 free
        assert [(ok, a.remaining) for ok, a in fits] == [(True, 11), (True, 9), (True, 6)]
        # 4 free + 2 purchased left: 3 fits, 5 does not (and takes nothing), 3 fits.
        mixed = await reserve_many(s, app_id, [3, 5, 3], 10, NOW)
        assert [(ok, a.remaining) for ok, a in mixed] == [(True, 3), (False, 3), (True, 0)]
    async with runtime.sessions() as s:
        assert await s.scalar(select(AppUsage.used)) == 10
        assert await s.scalar(select(AppCapacity.remaining)) == 0


async def test_the_first_take_of_a_month_creates_its_row_or_spans_into_purchased(
    runtime: Runtime,
) -> None:
    """The month's usage row is made by the take that fits (one UPSERT); a first request
    larger than the whole allowance takes all of it and the rest from purchased capacity."""
    app_id = await app_with_capacity(runtime, 10)
    async with runtime.sessions() as s, s.begin():
        [(ok, a)] = await reserve_many(s, app_id, [8], 5, NOW)  # no row yet; 8 > 5
        assert ok and (a.limit, a.remaining) == (12, 7)  # 5 + the 7 purchased left
    async with runtime.sessions() as s:
        assert (await s.execute(select(AppUsage.used, AppUsage.last_take))).one() == (5, 5)
        assert await s.scalar(select(AppCapacity.remaining)) == 7
    other = await app_with_capacity(runtime, 0)
    async with runtime.sessions() as s, s.begin():
        [(ok, a)] = await reserve_many(s, other, [5], 5, NOW)  # exactly the allowance
        assert ok and a.remaining == 0
        [(ok, a)] = await reserve_many(s, other, [1], 5, NOW)  # nothing bought: refused
        assert not ok and a.remaining == 0
    async with runtime.sessions() as s:
        assert await s.scalar(select(AppUsage.used).where(AppUsage.app_id == other)) == 5
