"""Pooled PostgreSQL connections that died are replaced before use, without pre-ping's round
trips on every checkout (overpush.pool_liveness)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from overpush import pool_liveness
from overpush.db import make_engine
from overpush.pool_liveness import Verdict, verdict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from testkit.backends import PG_SERVER
from tests.waiting import until


def test_verdict() -> None:
    assert verdict(closed=True, idle_for=0.1) is Verdict.REPLACE
    assert verdict(closed=True, idle_for=None) is Verdict.REPLACE
    assert verdict(closed=False, idle_for=None) is Verdict.USE  # new: nothing to check
    assert verdict(closed=False, idle_for=0.01) is Verdict.USE  # a busy pool: no round trip
    assert verdict(closed=False, idle_for=31.0, ping_after=30.0) is Verdict.PING


@pytest.fixture
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


async def terminate(pid: int) -> None:
    admin = await asyncpg.connect(PG_SERVER.replace("+asyncpg", ""))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def driver_of(engine: AsyncEngine) -> Any:
    """The asyncpg connection of a pool of one (back in the pool when this returns)."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        return raw.driver_connection


async def test_a_connection_the_server_closed_is_replaced_before_use(
        engine: AsyncEngine) -> None:
    """As after a database restart: the next transaction runs on a new connection."""
    first = await backend_pid(engine)
    driver = await driver_of(engine)
    await terminate(first)
    await until(driver.is_closed, timeout=10)  # the event loop read the server's goodbye
    second = await backend_pid(engine)
    assert second != first


async def test_a_busy_pool_is_not_pinged(engine: AsyncEngine,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pings: list[object] = []

    def ping(conn: object) -> bool:
        pings.append(conn)
        return True

    monkeypatch.setattr(engine.sync_engine.dialect, "do_ping", ping)
    for _ in range(3):
        await backend_pid(engine)
    assert pings == []


async def test_a_connection_idle_for_long_is_pinged_and_replaced_if_it_fails(
        engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A middlebox may drop an idle connection without a word: only a ping finds out."""
    first = await backend_pid(engine)
    monkeypatch.setattr(pool_liveness, "PING_AFTER", 0.0)
    real = engine.sync_engine.dialect.do_ping
    pings: list[bool] = []

    def ping(conn: Any) -> bool:
        pings.append(True)
        if len(pings) == 1:
            raise ConnectionResetError("dropped silently on the way")
        return bool(real(conn))

    monkeypatch.setattr(engine.sync_engine.dialect, "do_ping", ping)
    second = await backend_pid(engine)  # the failed ping: a new connection, not an error
    assert pings == [True]
    assert second != first
    assert await backend_pid(engine) == second  # this one passes its ping and stays
    assert pings == [True, True]
