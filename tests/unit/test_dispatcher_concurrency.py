"""How many events the dispatcher handles at once: within its database pool on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from overpush.settings import Settings

from services.dispatcher.service import consumer_concurrency

PG = "postgresql+asyncpg://nobody@127.0.0.1/none"


def test_on_postgresql_no_more_than_the_pool_keeps_less_the_loops() -> None:
    assert consumer_concurrency(Settings(database_url=PG, db_pool_size=10)) == 8
    assert consumer_concurrency(Settings(database_url=PG, db_pool_size=100)) == 32
    assert consumer_concurrency(Settings(database_url=PG, db_pool_size=1)) == 1


def test_on_sqlite_handlers_queue_for_the_one_connection_anyway(tmp_path: Path) -> None:
    assert consumer_concurrency(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db")) == 32
