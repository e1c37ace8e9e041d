"""A database as the first round left it: every table of revision FIRST_ROUND_HEAD filled with
realistic rows, written in SQL against that revision's own tables (reflected from the
database, never today's models), the way the first-round code wrote them.

Every migration from then on must upgrade exactly such a database, including rows that later
rules may forbid: two addresses that differ only by case (Bob@example.com, bob@example.com),
an application URL with a `javascript:` scheme, a disabled device, an unconfirmed user.
tests/contract/test_migrations.py upgrades it to head on SQLite and PostgreSQL and reads it
back through the running application; add rows (first_round_people.py, first_round_traffic.py)
only as the first round wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alembic import command
from argon2 import PasswordHasher
from overpush.db import alembic_config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.contract.first_round_people import write_people
from tests.contract.first_round_rows import Writer
from tests.contract.first_round_traffic import write_traffic

FIRST_ROUND_HEAD = "0010"  # shared/overpush/migrations/versions/0010_licensing.py
PASSWORD = "first round password"


@dataclass
class FirstRound:
    """The keys and secrets of what was written, so a test can use it as its owners would."""

    now: datetime
    users: dict[str, str] = field(default_factory=dict)  # e-mail -> user key
    ann_totp: str = ""
    ann_secret: str = ""  # Ann's Open Client session
    laptop: str = ""  # public id of Ann's desktop device, with messages queued
    phones: list[str] = field(default_factory=list)  # Ann's iOS and Android device names
    web_session: str = ""  # Ann's browser session cookie
    backups: str = ""  # Ann's application (http URL, icon, sound, usage, subscription code)
    javascript_app: str = ""  # an application whose URL has a javascript: scheme
    team_token: str = ""
    group: str = ""
    receipt_open: str = ""
    receipt_acked: str = ""
    subscription: str = ""  # Bob's subscription key to Backups
    queued: list[str] = field(default_factory=list)  # texts waiting for the laptop
    attachment: bytes = b""
    alias: str = ""  # Ann's default e-mail alias (local part)
    used: int = 0  # Backups' usage this month
    outbox_event: str = ""


async def migrate_to(engine: AsyncEngine, revision: str) -> None:
    def upgrade(conn: Connection) -> None:
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


async def fill_first_round(engine: AsyncEngine, now: datetime) -> FirstRound:
    """Fills an empty database at FIRST_ROUND_HEAD; `now` anchors every time in it."""
    async with engine.begin() as conn:
        return await conn.run_sync(lambda c: _fill(c, now))


def _fill(conn: Connection, now: datetime) -> FirstRound:
    """The rows, written as the first round wrote them: its people (first_round_people.py),
    then their traffic (first_round_traffic.py)."""
    w = Writer(conn, now, FirstRound(now))
    write_traffic(w, write_people(w, PasswordHasher().hash(PASSWORD)))
    return w.out
