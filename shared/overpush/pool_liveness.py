"""Checking a pooled PostgreSQL connection before use, without a round trip in the usual case.

SQLAlchemy's `pool_pre_ping` pings on every checkout; with asyncpg that is three round trips
(BEGIN, an empty query, ROLLBACK) before every transaction, about a third of the statements
the cluster sends under load. What the ping is for is a connection that died while it sat in
the pool, and there are two ways to die:

* the server closed it (a restart, an administrator's `pg_terminate_backend`, an idle
  timeout): it sends a FATAL error and closes the socket, and asyncpg marks the connection
  closed as soon as the event loop reads that. Checking `is_closed()` costs nothing;
* a middlebox (NAT, load balancer, proxy) dropped it silently after minutes of quiet: no
  close ever arrives. Only a round trip finds that out, so a connection that sat idle for
  longer than PING_AFTER is still pinged; a busy pool's connections never are.

A connection that fails either check is replaced before the caller sees it, as with
pre-ping; one whose ping failed also invalidates the pool's older connections (as pre-ping
does). What neither check can catch (a connection that dies between the check and the
statement) fails the statement, and SQLAlchemy invalidates the pool on a disconnect error,
exactly as it did with pre-ping.
"""

from __future__ import annotations

import time
from enum import Enum
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

# Middleboxes drop idle TCP connections after minutes (commonly 5 to 60); half a minute of
# quiet is far below that, and far above the gaps between transactions of a busy process.
PING_AFTER = 30.0
_IDLE_SINCE = "overpush.idle_since"


class Verdict(Enum):
    USE = "use"
    PING = "ping"
    REPLACE = "replace"


def verdict(closed: bool, idle_for: float | None, ping_after: float = PING_AFTER) -> Verdict:
    """What to do with a connection taken from the pool: `closed` as its driver knows,
    `idle_for` seconds since it was returned (None: new, never returned)."""
    if closed:
        return Verdict.REPLACE
    if idle_for is not None and idle_for > ping_after:
        return Verdict.PING
    return Verdict.USE


def install(engine: Engine) -> None:
    """Check each checkout of `engine` (the sync engine of an AsyncEngine) by `verdict`."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        idle_for = None if since is None else time.monotonic() - since
        driver = getattr(dbapi_conn, "driver_connection", None)
        closed = driver is None or bool(driver.is_closed())
        match verdict(closed, idle_for, PING_AFTER):
            case Verdict.REPLACE:
                # SQLAlchemy's pool catches this, discards the connection and makes a new one.
                raise exc.DisconnectionError("the server closed this pooled connection")
            case Verdict.PING:
                try:
                    engine.dialect.do_ping(dbapi_conn)
                except Exception as err:
                    raise exc.InvalidatePoolError(
                        "a pooled connection idle for long failed its ping") from err
            case Verdict.USE:
                pass
