"""One database contract, checked on SQLite (single machine) and PostgreSQL (cluster)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from overpush.db import autocommit, insert_ignore, make_engine, migrate
from overpush.models import Base, ProcessedEvent
from overpush.quota import reserve
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError

from tests.factories import make_app, make_user


@pytest.fixture
async def rt(db_url: str) -> AsyncIterator[Runtime]:
    rt = Runtime.build(Settings(database_url=db_url, bus_url="memory://"))
    await migrate(rt.engine)
    yield rt
    await rt.engine.dispose()


async def test_migrations_apply_from_empty_and_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(lambda c: inspect(c).get_table_names()) == []
        await migrate(engine)
        await migrate(engine)  # a second run finds nothing to do

        def differences(conn: Connection) -> list[object]:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            return list(compare_metadata(ctx, Base.metadata))

        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            diff = await conn.run_sync(differences)
        assert tables == {*Base.metadata.tables, "alembic_version"}
        # Every table, column and index the models declare is in the migrations.
        assert diff == []
    finally:
        await engine.dispose()


async def test_insert_ignore_is_idempotent(rt: Runtime) -> None:
    first = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    later = first + timedelta(hours=1)

    async def put(event_ids: list[str], at: datetime) -> int:
        async with rt.sessions() as session, session.begin():
            result = await session.execute(insert_ignore(
                session, ProcessedEvent,
                [{"consumer": "c", "event_id": e, "processed_at": at} for e in event_ids],
                ["consumer", "event_id"],
            ))
            return int(getattr(result, "rowcount", -1))

    assert await put(["a", "b"], first) == 2
    assert await put(["a", "b"], later) == 0
    assert await put(["a", "b", "c"], later) == 1
    async with rt.sessions() as session:
        rows = {event_id: at for event_id, at in (await session.execute(
            select(ProcessedEvent.event_id, ProcessedEvent.processed_at)
        )).all()}
    # The rows already there are left exactly as they were.
    assert rows == {"a": first, "b": first, "c": later}


async def test_utc_datetime_round_trips_timezone_aware(rt: Runtime) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    at = datetime(2026, 11, 27, 7, 2, 3, 456789, tzinfo=india)  # 01:32:03 UTC
    async with rt.sessions() as session, session.begin():
        session.add_all([
            ProcessedEvent(consumer="c", event_id="india", processed_at=at),
            ProcessedEvent(consumer="c", event_id="utc",
                           processed_at=datetime(2026, 11, 27, 1, 0, tzinfo=UTC)),
        ])
    async with rt.sessions() as session:
        back = await session.scalar(
            select(ProcessedEvent.processed_at).where(ProcessedEvent.event_id == "india")
        )
        # Comparisons in SQL see the same instants, whatever offset a value was given in.
        before = (await session.scalars(
            select(ProcessedEvent.event_id)
            .where(ProcessedEvent.processed_at < datetime(2026, 11, 27, 6, 45, tzinfo=india))
        )).all()
    assert back == at
    assert back is not None and back.utcoffset() == timedelta(0)
    assert before == ["utc"]

    with pytest.raises(StatementError, match="naive"):
        async with rt.sessions() as session, session.begin():
            session.add(ProcessedEvent(consumer="c", event_id="naive",
                                       processed_at=datetime(2026, 11, 27)))


@pytest.mark.timeout(180)
async def test_reserve_admits_exactly_the_limit_under_concurrency(rt: Runtime) -> None:
    app_token = await make_app(rt, await make_user(rt))
    async with rt.sessions() as session:
        from overpush.models import App

        app_id = await session.scalar(select(App.id).where(App.token == app_token))
    assert app_id is not None
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)

    async def one() -> tuple[bool, int]:
        # Each reservation in its own session and transaction, as the API makes them.
        async with rt.sessions() as session, session.begin():
            admitted, allowance = await reserve(session, app_id, 1, 50, now)
        return admitted, allowance.remaining

    results = await asyncio.gather(*(one() for _ in range(200)))
    admitted = [remaining for ok, remaining in results if ok]
    assert len(admitted) == 50
    # Each admitted request saw its own place in line: 49 left, 48 left, ... 0 left.
    assert sorted(admitted) == list(range(50))
    assert all(remaining == 0 for ok, remaining in results if not ok)

    from overpush.models import AppUsage

    async with rt.sessions() as session:
        assert await session.scalar(select(func.sum(AppUsage.used))) == 50


async def test_message_and_delivery_ids_are_never_reused(runtime: Runtime) -> None:
    """Devices dedupe by umid and delete up to their highest id: a new row must never get the
    id of a deleted one. SQLite reuses the largest rowid unless the table has AUTOINCREMENT,
    which a migration that rebuilds the table can silently drop."""
    from overpush.models import Delivery, Device, Message
    from sqlalchemy import delete

    from tests.factories import make_app, make_user

    owner = await make_user(runtime)
    token = await make_app(runtime, owner)
    now = datetime.now(UTC)
    async with runtime.sessions() as s, s.begin():
        from overpush.models import App, User

        uid = await s.scalar(select(User.id).where(User.email == owner.email))
        aid = await s.scalar(select(App.id).where(App.token == token))
        device = Device(public_id="d" * 40, user_id=uid, name="d", os="O", enabled=True,
                        created_at=now)
        s.add(device)
        await s.flush()

    async def new_pair() -> tuple[int, int]:
        async with runtime.sessions() as s, s.begin():
            m = Message(app_id=aid, user_id=uid, request_id="r", body="b", sent_at=now,
                        created_at=now, dispatched_at=now)
            s.add(m)
            await s.flush()
            d = Delivery(device_id=device.id, message_id=m.id, created_at=now)
            s.add(d)
            await s.flush()
            return m.id, d.id

    first = await new_pair()
    async with runtime.sessions() as s, s.begin():
        await s.execute(delete(Delivery))
        await s.execute(delete(Message))
    second = await new_pair()
    assert second[0] > first[0] and second[1] > first[1]


async def test_autocommit_runs_lone_reads_on_either_database(rt: Runtime) -> None:
    """On PostgreSQL each statement is a transaction of its own (no BEGIN/ROLLBACK round
    trips around a lone read); on SQLite the connection is in a transaction as usual."""
    async with autocommit(rt.engine) as conn:
        assert await conn.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
        if rt.engine.dialect.name == "postgresql":
            first = await conn.scalar(text("SELECT pg_current_xact_id()::text"))
            second = await conn.scalar(text("SELECT pg_current_xact_id()::text"))
            assert first != second
        else:
            assert conn.in_transaction()
