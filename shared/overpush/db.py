"""Database engine, sessions and migrations for SQLite (single machine) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Insert, Table, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from overpush import pool_liveness, sqlite_inline
from overpush.models import Base

S = TypeVar("S")  # a statement


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 20) -> AsyncEngine:
    """`pool_size` + `max_overflow` is what one process may hold open on PostgreSQL: times
    the number of processes, it must stay under the server's max_connections."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        # One connection per process: SQLite has a single writer anyway, and queueing for the
        # connection in asyncio is much faster than SQLite's sleeping busy handler.
        database = make_url(url).database or ":memory:"
        engine = create_async_engine(
            url, pool_size=1, max_overflow=0, pool_timeout=60,
            async_creator=partial(sqlite_inline.connect, database, 30),
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pool_pre_ping: it costs three round trips before every transaction. A connection the
    # server closed is replaced without one, an idle one is still pinged (pool_liveness).
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    pool_liveness.install(engine.sync_engine)
    return engine


@asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a lone read: on PostgreSQL each statement is its own transaction,
    which spares the BEGIN and the ROLLBACK a session wraps around it (two round trips);
    on SQLite a transaction as usual."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            async with conn.begin():
                yield conn


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers in other processes (the CLI) never block
    cur.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def insert_ignore(
    session: AsyncSession, table: Any, rows: Sequence[Mapping[str, Any]], index: list[str]
) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING on either database: the idempotent write."""
    mod: Any = postgresql if dialect_of(session) == "postgresql" else sqlite
    stmt: Insert = mod.insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=index)
    return stmt


def dialect_of(session: AsyncSession) -> str:
    """"sqlite" or "postgresql": which of a statement's prebuilt forms to run."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def table_of(model: Any) -> Table:
    """A mapped class's table, for prebuilt Core statements (plain columns, no ORM state)."""
    return cast(Table, model.__table__)


class PerDialect(Generic[S]):
    """A statement built once for each database, for hot paths: run `STMT.on(session)`.
    Building a statement costs more than running a prebuilt one (about 150 against 80 µs
    here). `build` gets the dialect's module (its `insert` knows ON CONFLICT)."""

    def __init__(self, build: Callable[[Any], S]) -> None:
        self._stmts: dict[str, S] = {"postgresql": build(postgresql), "sqlite": build(sqlite)}

    def on(self, session: AsyncSession) -> S:
        return self._stmts[dialect_of(session)]


class InsertIgnore(PerDialect[Insert]):
    """`insert_ignore` built once per dialect: `await session.execute(STMT.on(session), rows)`."""

    def __init__(self, model: Any, index: list[str]) -> None:
        table = table_of(model)
        super().__init__(
            lambda dialect: dialect.insert(table).on_conflict_do_nothing(index_elements=index))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("overpush") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def migrate(engine: AsyncEngine) -> None:
    """Apply every Alembic migration up to head on the engine's database."""

    def upgrade(conn: Connection) -> None:
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


metadata = Base.metadata
