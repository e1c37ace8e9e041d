"""SQLite on the event loop's own thread, behind aiosqlite's interface.

aiosqlite runs every call on a worker thread and wakes the event loop for each answer. A
typical statement costs SQLite about 10 µs; each of the several hand-offs SQLAlchemy makes per
statement (cursor, execute, fetch, close) costs the loop about 100 µs of wake-ups and
futures. Measured here: a one-row SELECT took 326 µs of CPU through aiosqlite and 8 µs
through sqlite3 directly, and the single-machine process spent most of its time on those
hand-offs. So the calls run inline instead.

What that trades: while SQLite works, nothing else on the loop runs. That is microseconds for
this service's statements, milliseconds for a group send's INSERT, and at worst the time
another process (the `overpush` CLI) holds the write lock, which it does only for its own
short transactions. WAL checkpoints, once the one slow part of a commit, run on a thread of
their own (sqlite_checkpoint). A commit yields to the loop when the loop has run nothing else
for `YIELD_AFTER`, so a long run of transactions never starves the WebSockets.
"""

from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from typing import Any

import aiosqlite

from overpush import sqlite_checkpoint

ITER_CHUNK_SIZE = 64


# A commit yields to the loop when the loop has not run anything else for this long. Yielding
# at every commit put whatever was ready (an HTTP answer, a session's close) between the
# dispatcher's commit and its nudge; a long run of transactions still yields this often.
YIELD_AFTER = 0.002


class InlineConnection(aiosqlite.Connection):
    checkpointer: sqlite_checkpoint.Checkpointer | None = None
    _ticked_at = 0.0  # when the loop last ran our tick (it was free to run others then)
    _tick_due = False

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()
        if self.checkpointer is not None:
            self.checkpointer.committed()
        loop = asyncio.get_running_loop()
        if loop.time() - self._ticked_at >= YIELD_AFTER:
            await asyncio.sleep(0)
        if not self._tick_due:
            self._tick_due = True
            loop.call_soon(self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._ticked_at = loop.time()
        self._tick_due = False

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
