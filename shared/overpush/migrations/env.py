"""Alembic environment: runs on the connection handed in by overpush.db.migrate."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from overpush.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        run_on(conn)
        return
    # Run from the alembic command line: open our own async engine.
    from overpush.db import make_engine

    async def main() -> None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        async with engine.begin() as c:
            await c.run_sync(run_on)
        await engine.dispose()

    asyncio.run(main())


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
