"""SQLite on the event loop's own thread, behind aiosqlite's interface.

aiosqlite runs every call on a worker thread and wakes the event loop for each answer. A
typical statement costs SQLite about 10 µs; each of the several hand-offs SQLAlchemy makes per
statement (cursor, execute, fetch, close) costs the loop about 100 µs of wake-ups and
futures. Measured here: a one-row SELECT took 326 µs of CPU through aiosqlite and 8 µs
through sqlite3 directly, and the single-machine process spent most of its time on those
hand-offs. So the calls run inline instead.

What that trades: while SQLite works, nothing else on the loop runs. That is microseconds for
this service's statements, milliseconds for a group send's INSERT or a WAL checkpoint, and
at worst the time another process (the `overpush` CLI) holds the write lock, which it does
only for its own short transactions. Commits yield to the loop once, so a long run of
transactions never starves the WebSockets. WAL checkpoints, the one slow part of a commit, run
on a thread of their own (sqlite_checkpoint).
"""

from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from typing import Any

import aiosqlite

from overpush import sqlite_checkpoint

ITER_CHUNK_SIZE = 64


class InlineConnection(aiosqlite.Connection):
    checkpointer: sqlite_checkpoint.Checkpointer | None = None

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()
        if self.checkpointer is not None:
            self.checkpointer.committed()
        await asyncio.sleep(0)

    async def close(self) -> None:
        await super().close()
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None


async def connect(database: str, timeout: float) -> InlineConnection:
    """An open connection; the first argument of SQLAlchemy's `async_creator`.

    It is made on aiosqlite's thread (kept for that and for closing) and used on the loop's,
    hence check_same_thread=False: the pool hands it to one task at a time."""
    conn = InlineConnection(partial(
        sqlite3.connect, database, timeout=timeout, check_same_thread=False,
        uri=database.startswith("file:"),
    ), ITER_CHUNK_SIZE)
    conn._thread.daemon = True  # as SQLAlchemy does for aiosqlite: never blocks exit
    await conn
    if sqlite_checkpoint.applies_to(database):
        conn._conn.execute(f"PRAGMA wal_autocheckpoint={sqlite_checkpoint.BACKSTOP_PAGES}")
        conn.checkpointer = sqlite_checkpoint.Checkpointer(database)
    return conn
