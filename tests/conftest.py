"""Shared fixtures: the two backends (SQLite + in-process bus, PostgreSQL + RabbitMQ),
a fresh database and bus namespace per test, and in-process servers.

PostgreSQL and RabbitMQ tests skip with a reason when the server is unreachable, and fail
instead under CI=true, where they must run.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from overpush.db import migrate
from overpush.runtime import Runtime
from overpush.settings import Settings

from services.runner import Runner, registry

CI = os.environ.get("CI", "").lower() == "true"
PG_SERVER = os.environ.get(
    "OVERPUSH_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
RABBIT = os.environ.get("OVERPUSH_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/")
QUEUE_GROUPS = ("dispatcher", "quota", "receipts", "mailgw", "api")


def reachable(url: str, default_port: int) -> bool:
    u = urlparse(url.replace("+asyncpg", ""))
    try:
        with socket.create_connection((u.hostname or "127.0.0.1", u.port or default_port), 2):
            return True
    except OSError:
        return False


def need(what: str, url: str, port: int) -> None:
    if reachable(url, port):
        return
    msg = f"{what} is not reachable at {url}"
    if CI:
        pytest.fail(f"{msg}; under CI=true these tests must run")
    pytest.skip(f"{msg} (start it, or set OVERPUSH_TEST_{what.upper()})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, migrated, dropped afterwards."""
    need("postgres", PG_SERVER, 5432)
    import asyncpg

    name = f"overpush_t_{uuid.uuid4().hex[:12]}"
    dsn = PG_SERVER.replace("+asyncpg", "")
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def rabbit_prefix() -> AsyncIterator[str]:
    """A private namespace of exchanges and queues on the shared broker, deleted afterwards."""
    need("rabbitmq", RABBIT, 5672)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield prefix
    await delete_bus_namespace(prefix)


async def delete_bus_namespace(prefix: str) -> None:
    import aio_pika
    from overpush.events import EVENT_TYPES

    conn = await aio_pika.connect(RABBIT)
    try:
        ch = await conn.channel()
        names = [f"{prefix}.{g}.{key}" for g in QUEUE_GROUPS for key in EVENT_TYPES]
        for queue in [*names, f"{prefix}.dead"]:
            await ch.queue_delete(queue)
        for exchange in (f"{prefix}.events", f"{prefix}.dead"):
            await ch.exchange_delete(exchange)
    finally:
        await conn.close()


def sqlite_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/overpush.db", bus_url="memory://",
        http_port=free_port(), smtp_port=free_port(), **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["single", "cluster"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each backend: SQLite + in-process bus, and PostgreSQL + RabbitMQ."""
    if request.param == "single":
        return sqlite_settings(tmp_path)
    url = request.getfixturevalue("pg_url")
    prefix = request.getfixturevalue("rabbit_prefix")
    return Settings(database_url=url, bus_url=RABBIT, bus_prefix=prefix, http_port=free_port(),
                    smtp_port=free_port())


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime on a migrated database with a started bus, and no services."""
    rt = Runtime.build(settings)
    await migrate(rt.engine)
    await rt.bus.start()
    yield rt
    await rt.close()


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Runner]:
    """Every service in this process, as `overpush run` starts them."""
    runner = Runner(Runtime.build(settings), list(registry()))
    if not settings.is_sqlite:
        await migrate(runner.rt.engine)
    await runner.start()
    yield runner
    await runner.stop()


@pytest.fixture
def base_url(settings: Settings) -> str:
    return f"http://{settings.http_host}:{settings.http_port}"


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Tests build their own Settings; a developer's OVERPUSH_* variables must not leak in.
    for key in list(os.environ):
        if key.startswith("OVERPUSH_") and not key.startswith("OVERPUSH_TEST_"):
            monkeypatch.delenv(key)
    yield
