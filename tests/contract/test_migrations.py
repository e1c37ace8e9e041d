"""The migration history: one head, and an upgrade of a database the first round filled.

The upgrade test is what every later migration is checked against: a database migrated to
FIRST_ROUND_HEAD and filled by `first_round.fill_first_round` (every table, realistic rows,
rows later rules may forbid among them) is upgraded to head on SQLite and on PostgreSQL; then
nothing may be missing, every row must load through today's models, and the running
application must serve it: log-ins (one with 2FA), a device's queued messages and their
attachment, a first-round outbox event published and dispatched, receipts, a group, the
allowance, a team, e-mail aliases, a glance and a browser session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pyotp
import pytest
from alembic.script import ScriptDirectory
from overpush.db import alembic_config, make_engine, migrate
from overpush.models import Base, OutboxEvent
from overpush.outbox_relay import OutboxRelay
from overpush.settings import Settings
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from testkit.backends import sqlite_settings
from testkit.device import DesktopDevice
from testkit.servers import running
from tests.checks import count
from tests.contract.first_round import (
    FIRST_ROUND_HEAD,
    PASSWORD,
    FirstRound,
    fill_first_round,
    migrate_to,
)


def history() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def test_the_history_has_exactly_one_head() -> None:
    heads = history().get_heads()
    assert len(heads) == 1, f"several heads {heads}: chain the new migration after the head"
    # The first round's head is still in the history, below the head.
    assert FIRST_ROUND_HEAD in {r.revision for r in history().iterate_revisions(heads[0], None)}


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows per table, every table the database has (alembic's own aside)."""

    def count(conn: Connection) -> dict[str, int]:
        meta = MetaData()
        meta.reflect(bind=conn)
        return {name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for name, t in meta.tables.items() if name != "alembic_version"}

    async with engine.connect() as conn:
        return await conn.run_sync(count)


@pytest.fixture
def upgraded_settings(db_url: str, tmp_path: Path) -> Settings:
    """Every service in one process, on the empty database the first round fills."""
    return sqlite_settings(tmp_path, database_url=db_url)


@pytest.fixture
async def first_round(upgraded_settings: Settings) -> AsyncIterator[FirstRound]:
    engine = make_engine(upgraded_settings.database_url)
    try:
        await migrate_to(engine, FIRST_ROUND_HEAD)
        yield await fill_first_round(engine, datetime.now(UTC))
    finally:
        await engine.dispose()


async def test_first_round_data_survives_the_upgrade(upgraded_settings: Settings,
                                                     first_round: FirstRound) -> None:
    engine = make_engine(upgraded_settings.database_url)
    try:
        before = await row_counts(engine)
        assert [t for t, n in before.items() if n == 0] == [], "fill every first-round table"
        await migrate(engine)  # alembic upgrade head
        after = await row_counts(engine)
        assert {t: after[t] for t in before} == before

        async with engine.connect() as conn:  # every row loads through today's models
            for mapper in Base.registry.mappers:
                table = mapper.local_table.name
                rows = (await conn.execute(select(mapper.class_))).all()
                assert len(rows) == after[table], table
    finally:
        await engine.dispose()


async def test_the_application_serves_first_round_data(upgraded_settings: Settings,
                                                       first_round: FirstRound) -> None:
    data = first_round
    base = f"http://{upgraded_settings.http_host}:{upgraded_settings.http_port}"
    ann, bob = data.users["ann@example.com"], data.users["Bob@example.com"]
    async with running(upgraded_settings) as runner, httpx.AsyncClient(
            base_url=base, timeout=10) as http:
        login = {"email": "ann@example.com", "password": PASSWORD,
                 "twofa": pyotp.TOTP(data.ann_totp).now()}
        assert (await http.post("/1/users/login.json", data=login)).json()["id"] == ann
        r = await http.post("/1/users/login.json",
                            data={"email": "Bob@example.com", "password": PASSWORD})
        assert r.status_code == 200 and r.json()["id"] == bob, r.text

        # The laptop gets what was queued, and the message whose event waited in the outbox.
        laptop = DesktopDevice(base, "ann@example.com", PASSWORD, secret=data.ann_secret,
                               user_key=ann, device_id=data.laptop)
        await laptop.connect()
        got = {m["message"]: m for m in await laptop.receive(http, len(data.queued) + 1)}
        await laptop.close()
        assert set(got) == {*data.queued, "queued before a restart"}
        assert got["<b>graph</b> attached"]["attachment_bytes"] == data.attachment
        assert got["db2 backup failed"]["receipt"] == data.receipt_open

        r = await http.post("/1/users/validate.json", data={"token": data.backups, "user": ann})
        assert r.status_code == 200, r.text
        assert {"laptop", *data.phones} <= set(r.json()["devices"])
        r = await http.post("/1/users/validate.json",  # Bob, by his subscription to Backups
                            data={"token": data.backups, "user": data.subscription})
        assert r.status_code == 200 and r.json()["devices"] == ["desk"], r.text
        bookmarklet = (await http.get("/1/apps/limits.json",  # the javascript: URL's app
                                      params={"token": data.javascript_app})).json()
        assert (bookmarklet["limit"], bookmarklet["remaining"]) == (100, 100), bookmarklet
        receipt = (await http.get(f"/1/receipts/{data.receipt_open}.json",
                                  params={"token": data.backups})).json()
        assert (receipt["status"], receipt["acknowledged"], receipt["expired"]) == (1, 0, 0)
        group = (await http.get(f"/1/groups/{data.group}.json",
                                params={"token": data.backups})).json()
        assert (group["name"], len(group["users"])) == ("On call", 3)
        limits = (await http.get("/1/apps/limits.json", params={"token": data.backups})).json()
        assert limits["remaining"] == limits["limit"] - data.used, limits
        team = (await http.get("/1/teams.json", params={"token": data.team_token})).json()
        assert (team["name"], len(team["users"])) == ("Ops", 2)
        # Existing memberships stay; the team's auto group is made now, nobody is invited.
        assert team["invitations"] == [] and len(team["group"]) == 30
        aliases = (await http.get("/1/aliases.json", params={"secret": data.ann_secret})).json()
        assert data.alias in str(aliases["aliases"]) and "backups@" in str(aliases["aliases"])
        glance = (await http.get("/1/glances.json", params={
            "secret": data.ann_secret, "device_id": data.laptop})).json()
        assert glance["status"] == 1 and "Disk" in str(glance), glance
        page = await http.get("/", headers={"Cookie": f"op_session={data.web_session}"})
        assert page.status_code == 200 and "Backups" in page.text
        # The first-round outbox row decodes and goes out (unless the running relay's sweep
        # already sent it).
        await OutboxRelay(runner.rt).flush()
        assert await count(runner.rt, OutboxEvent) == 0
