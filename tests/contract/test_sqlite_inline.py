"""SQLite on the event loop's thread (overpush.sqlite_inline): where statements run, that a
long run of transactions still lets other tasks in, that checkpoints happen on a thread of
their own, and that closing leaves no thread."""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import struct
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
    other task runs again and again, typically kept waiting for little longer than that."""
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
        assert len(gaps) >= 6  # without the yield it would run once, after the whole run
        # Typically YIELD_AFTER and one transaction. The median, not the longest: a busy
        # machine may take the whole process off its core for a while, yield or not.
        assert statistics.median(gaps) < 0.02
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


def wal_index(db: Path) -> tuple[int, int]:
    """(frames in the log, frames of them copied back into the database file), read from the
    wal-index header that SQLite's connections share (sqlite.org/fileformat2.html, "WAL-Index
    Format": mxFrame at byte 16, nBackfill at byte 96, in the machine's byte order)."""
    head = Path(f"{db}-shm").read_bytes()[:100]
    return struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]


def wal_size(db: Path) -> int:
    return Path(f"{db}-wal").stat().st_size


async def test_a_thread_copies_the_log_back_into_the_database_file(tmp_path: Path) -> None:
    """WAL checkpoints run on the checkpoint thread (overpush.sqlite_checkpoint), not in the
    loop's commits: after 200 transactions (~1,000 pages of log, where the loop's connection
    would not checkpoint below its backstop), the thread has copied every frame of the log
    and the database file by itself holds every row; and the next commit starts the log
    again from its beginning, so it stays bounded.

    The test waits on SQLite's own count of copied frames, not on the rows in the file: the
    rows are there a moment before the checkpoint records that it is done, and a commit in
    that moment goes on appending (seen once in CI: a log two rounds long)."""
    db = tmp_path / "x.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db}")

    def copied() -> int:
        # The database file alone, without its log: what checkpoints have copied into it.
        (tmp_path / "alone.db").write_bytes(db.read_bytes())
        with sqlite3.connect(tmp_path / "alone.db") as alone:
            n: int = alone.execute("SELECT count(*) FROM t").fetchone()[0]
        return n

    async def insert(n: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (:n, randomblob(16000))"), {"n": n})

    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER, pad BLOB)"))
        first_commit_frames = []
        for round_ in range(1, 4):
            for n in range(200):
                await insert(n)
                if n == 0 and round_ > 1:
                    first_commit_frames.append(wal_index(db)[0])
            assert "sqlite-checkpoint" in {t.name for t in threading.enumerate()}
            for _ in range(1000):
                frames, copied_back = wal_index(db)
                if frames == copied_back:
                    break
                await asyncio.sleep(0.01)
            assert 0 < copied_back == frames, (round_, frames, copied_back)
            assert copied() == 200 * round_
        # One INSERT of a 16 kB blob is ~6 frames: the log started again at each round.
        assert max(first_commit_frames) < 20, first_commit_frames
        assert wal_size(db) < BACKSTOP_PAGES * 4096
    finally:
        await engine.dispose()
