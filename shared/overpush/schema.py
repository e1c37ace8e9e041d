"""Is the database at this release's schema? Lets pods wait for the migration Job, not run it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from overpush.db import alembic_config, make_engine

log = logging.getLogger(__name__)


def is_current(applied: Collection[str], heads: Collection[str], known: Collection[str]) -> bool:
    """True when the database is at this release's head, or past it.

    A revision this release does not know was written by a newer release (a rollback of the
    image, or old pods restarting mid-rollout); schema changes are additive, so older code
    runs on it. An empty database, or one at an older known revision, is not current.
    """
    if not applied:
        return False
    return all(rev in heads or rev not in known for rev in applied)


async def applied_revisions(engine: AsyncEngine) -> set[str]:
    def read(conn: Connection) -> set[str]:
        return set(MigrationContext.configure(conn).get_current_heads())

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def wait_until_current(url: str, timeout: float, interval: float = 2.0) -> bool:
    """Poll until the database is current (True) or `timeout` seconds pass (False)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                applied = await applied_revisions(engine)
                if is_current(applied, heads, known):
                    log.info("database schema is current (%s)", ", ".join(sorted(applied)))
                    return True
                log.info("waiting for the migration: database at %s, this release needs %s",
                         ", ".join(sorted(applied)) or "nothing", ", ".join(sorted(heads)))
            except Exception as exc:  # unreachable or not yet created: keep waiting
                log.info("waiting for the database: %s", exc)
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(interval)
    finally:
        await engine.dispose()
