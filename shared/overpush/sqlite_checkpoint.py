"""WAL checkpoints on a thread of their own.

SQLite copies the write-ahead log back into the database file (a checkpoint) from inside the
commit that takes the log past 1,000 pages, on whatever thread committed: with statements run
inline (`sqlite_inline`) that is the event loop's. Under the ingest bench that was 100
commits in 10 s taking 7 ms each, 7 % of the loop's time, while every other commit took
0.1 ms. So a thread of ours copies the log instead, on its own connection, in PASSIVE mode
(it never waits for or blocks a reader or the writer) and with the GIL let go while SQLite
works: 20 ms after a commit wakes it, so it keeps up and, the moment it has copied everything,
the next commit starts the log from its beginning again, as after an automatic checkpoint.

The loop's connection still checkpoints by itself, but only past `BACKSTOP_PAGES` (16 MB of
log): should the thread fall behind, the log stays bounded exactly as before. Measured: the
loop's own checkpoints fell from 100 to 4 in 10 s and accepted messages rose by ~10 %.

An idle process has no thread waking up: only a commit wakes it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

COALESCE = 0.02  # seconds of commits one checkpoint takes together
BACKSTOP_PAGES = 4000  # the loop's own automatic checkpoints, should this thread fall behind

log = logging.getLogger(__name__)


def applies_to(database: str) -> bool:
    """Only a file has a log to copy: not ':memory:' nor a memory URI."""
    return database not in ("", ":memory:") and "mode=memory" not in database


class Checkpointer:
    def __init__(self, database: str) -> None:
        self._database = database
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Called on the loop after each commit: an attribute test (is_set takes no lock), and
        a lock once a round."""
        if not self._wake.is_set():
            self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        conn = sqlite3.connect(self._database, uri=self._database.startswith("file:"))
        try:
            while True:
                self._wake.wait()
                # Let commits gather; one checkpoint then copies all of them. On the way out
                # there is no need: closing the last connection checkpoints.
                if self._stopping.wait(COALESCE):
                    return
                self._wake.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:  # a busy or locked file: the next commit tries again
                    log.warning("WAL checkpoint failed", exc_info=True)
        finally:
            conn.close()
