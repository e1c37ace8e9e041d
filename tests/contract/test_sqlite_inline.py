"""SQLite on the event loop's thread (overpush.sqlite_inline): where statements run, that a
long run of transactions still lets other tasks in, that checkpoints happen on a thread of
their own, and that closing leaves no thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from overpush.db import make_engine
from overpush.sqlite_checkpoint import BACKSTOP_PAGES
from overpush.sqlite_inline import YIELD_AFTER, InlineConnection
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
    """No statement yields on SQLite, so a run of transactions must: a commit yields once the
    loop has run nothing else for YIELD_AFTER. Over 0.3 s of back-to-back transactions the
    other task runs again and again, never kept waiting for much longer than that."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def ticker() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0)
            now = loop.time()
            gaps.append(now - last)
            last = now

    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        gaps.clear()
        n, until = 0, loop.time() + 0.3
        async with engine.connect() as conn:  # one connection: only commits can yield
            while loop.time() < until:
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                await conn.commit()
                n += 1
        task.cancel()
        assert YIELD_AFTER <= 0.01
        assert len(gaps) >= 6  # at least once every 0.05 s
        assert max(gaps) < 0.05  # YIELD_AFTER, and one transaction on a busy machine
        assert n > len(gaps)  # and not at every commit
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


async def test_a_thread_copies_the_log_back_into_the_database_file(tmp_path: Path) -> None:
    """WAL checkpoints run on the checkpoint thread (overpush.sqlite_checkpoint), not in the
    loop's commits: after 200 transactions (~1,000 pages of log, where the loop's connection
    would not checkpoint below its backstop), the database file by itself holds every row;
    and the log starts again from its beginning, so three such rounds leave it no longer
    than one did."""
    db = tmp_path / "x.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db}")

    def wal_size() -> int:
        return Path(f"{db}-wal").stat().st_size

    def copied() -> int:
        # The database file alone, without its log: what checkpoints have copied into it.
        # A copy taken while the thread writes the file can be torn: read it as "not yet".
        (tmp_path / "alone.db").write_bytes(db.read_bytes())
        try:
            with sqlite3.connect(tmp_path / "alone.db") as alone:
                n: int = alone.execute("SELECT count(*) FROM t").fetchone()[0]
        except sqlite3.DatabaseError:
            return -1
        return n

    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER, pad BLOB)"))
        sizes = []
        for round_ in range(1, 4):
            for n in range(200):
                async with engine.begin() as conn:
                    await conn.execute(text("INSERT INTO t VALUES (:n, randomblob(16000))"),
                                       {"n": n})
            assert "sqlite-checkpoint" in {t.name for t in threading.enumerate()}
            seen = -1
            for _ in range(300):
                if (seen := copied()) == 200 * round_:
                    break
                await asyncio.sleep(0.01)
            assert seen == 200 * round_
            sizes.append(wal_size())
        assert sizes[2] <= sizes[0] * 1.1 < BACKSTOP_PAGES * 4096, sizes
    finally:
        await engine.dispose()
