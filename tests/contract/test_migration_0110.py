"""Migration 0110 (security of accounts) on first-round data, on SQLite and PostgreSQL: the
accounts whose addresses differ only by case, and an application URL with a javascript:
scheme (rows the new rules forbid)."""

from __future__ import annotations

from datetime import UTC, datetime

from overpush.db import make_engine, migrate
from sqlalchemy import text

from tests.contract.first_round import FIRST_ROUND_HEAD, fill_first_round, migrate_to


async def test_case_duplicates_and_unsafe_urls_are_resolved(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate_to(engine, FIRST_ROUND_HEAD)
        data = await fill_first_round(engine, datetime.now(UTC))
        await migrate(engine)
        async with engine.connect() as conn:
            keys = dict((await conn.execute(text(
                "SELECT user_key, email_key FROM users"))).all())
            urls = dict((await conn.execute(text("SELECT token, url FROM apps"))).all())
    finally:
        await engine.dispose()
    # "Bob@example.com" (confirmed) keeps the address; the unconfirmed "bob@example.com"
    # keeps its row but no identity, so nobody logs in to it by address.
    assert keys[data.users["Bob@example.com"]] == "bob@example.com"
    assert keys[data.users["bob@example.com"]] is None
    assert keys[data.users["ann@example.com"]] == "ann@example.com"
    assert sum(k is not None for k in keys.values()) == len(keys) - 1
    assert urls[data.javascript_app] is None
    assert urls[data.backups] == "http://backups.example.com/status"
