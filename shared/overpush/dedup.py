"""Dedup and resolve keys (issue 17 §4): one open message per application, `user` value and
`dedup_key`; later sends with the same three are answered with the first request and cost
nothing, until the key is resolved or its window passes.

Claiming a key is one INSERT ... ON CONFLICT DO UPDATE that takes over the row only when it is
no longer open, so concurrent intakes (replicas, the scheduled-message timer) agree on one
winner: on PostgreSQL the loser waits for the winner's commit and then finds the row open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.db import table_of
from overpush.models import DedupKey, Receipt

RETENTION = timedelta(days=1)  # a closed key is kept this long, then purged
_T = table_of(DedupKey)


@dataclass(frozen=True)
class Scope:
    """Which open message a key belongs to: the app and the `user` value as sent, its keys
    sorted (so "a,b" and "b,a" are one incident)."""

    app_id: int
    users: str
    key: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.users.encode()).hexdigest()


def scope_of(app_id: int, users: Sequence[str], key: str) -> Scope:
    return Scope(app_id, ",".join(sorted(set(users))), key)


def _open(now: datetime) -> Any:
    return and_(_T.c.resolved_at.is_(None), _T.c.expires_at > now)


async def claim(session: AsyncSession, scope: Scope, request_id: str, window: int,
                now: datetime) -> str:
    """Open the key for `request_id` unless it is open already; returns the request id of the
    open message (ours when we won)."""
    mod: Any = postgresql if session.bind is not None and \
        session.bind.dialect.name == "postgresql" else sqlite
    values = dict(app_id=scope.app_id, scope=scope.digest, users=scope.users,
                  dedup_key=scope.key, request_id=request_id, opened_at=now,
                  expires_at=now + timedelta(seconds=window), resolved_at=None)
    stmt = mod.insert(_T).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["app_id", "scope", "dedup_key"],
        set_={k: stmt.excluded[k] for k in ("users", "request_id", "opened_at", "expires_at",
                                            "resolved_at")},
        where=~_open(now),
    ).returning(_T.c.request_id)
    won: str | None = await session.scalar(stmt)
    if won is not None:
        return won
    holder = await session.scalar(select(_T.c.request_id).where(
        _T.c.app_id == scope.app_id, _T.c.scope == scope.digest,
        _T.c.dedup_key == scope.key))
    return str(holder)


async def release(session: AsyncSession, scope: Scope, request_id: str) -> None:
    """Give the key back: the request that claimed it was refused (quota)."""
    await session.execute(delete(_T).where(
        _T.c.app_id == scope.app_id, _T.c.scope == scope.digest, _T.c.dedup_key == scope.key,
        _T.c.request_id == request_id))


async def receipt_of(session: AsyncSession, app_id: int, request_id: str) -> str | None:
    """The emergency receipt of a request, if it had one."""
    value: str | None = await session.scalar(select(Receipt.receipt).where(
        Receipt.app_id == app_id, Receipt.request_id == request_id).limit(1))
    return value


@dataclass(frozen=True)
class Resolved:
    users: str
    request_id: str


async def resolve(session: AsyncSession, app_id: int, key: str, users: Sequence[str] | None,
                  now: datetime, lock: bool) -> list[Resolved]:
    """Close the open messages of `key` (of one `user` value, or all of the app's), and stop
    their emergency re-alerts (the receipt shows `resolved`). Returns what was open."""
    query = select(_T.c.id, _T.c.users, _T.c.request_id).where(
        _T.c.app_id == app_id, _T.c.dedup_key == key, _open(now))
    if users is not None:
        query = query.where(_T.c.scope == scope_of(app_id, users, key).digest)
    if lock:
        query = query.with_for_update()
    rows = (await session.execute(query.order_by(_T.c.id))).all()
    if not rows:
        return []
    await session.execute(update(_T).where(_T.c.id.in_([r.id for r in rows]))
                          .values(resolved_at=now))
    await session.execute(
        update(Receipt).where(Receipt.app_id == app_id,
                              Receipt.request_id.in_([r.request_id for r in rows]),
                              Receipt.closed_at.is_(None))
        .values(resolved_at=now, cancelled_at=now, closed_at=now, next_attempt_at=None)
        .execution_options(synchronize_session=False))
    return [Resolved(r.users, r.request_id) for r in rows]


async def purge(session: AsyncSession, now: datetime) -> int:
    """Keys closed (resolved or past their window) more than RETENTION ago."""
    cutoff = now - RETENTION
    result = await session.execute(delete(_T).where(
        or_(_T.c.expires_at < cutoff, _T.c.resolved_at < cutoff)))
    return int(getattr(result, "rowcount", 0) or 0)
