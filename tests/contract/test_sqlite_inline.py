"""SQLite on the event loop's thread (overpush.sqlite_inline): where statements run, that a
long run of transactions still lets other tasks in, and that closing leaves no thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from overpush.db import make_engine
from overpush.sqlite_inline import InlineConnection
from sqlalchemy import text


async def test_statements_run_on_the_loop_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    seen: list[int] = []
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert isinstance(raw, InlineConnection)
            raw._conn.create_function(
                "where_am_i", 0, lambda: seen.append(threading.get_ident()) or 1)
            assert (await conn.execute(text("SELECT where_am_i()"))).scalar() == 1
    finally:
        await engine.dispose()
    assert seen == [threading.get_ident()]


async def test_back_to_back_transactions_let_other_tasks_run(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        for n in range(50):  # no statement yields on SQLite: the transactions must
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        assert ticks - before >= 50
        task.cancel()
    finally:
        await engine.dispose()


async def test_disposing_the_engine_ends_the_connection_thread(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    await engine.dispose()
    for _ in range(100):
        if not set(threading.enumerate()) - before:
            break
        await asyncio.sleep(0.01)
    assert not set(threading.enumerate()) - before
