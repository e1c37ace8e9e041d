"""Fixtures every layer shares: the two backends (SQLite + in-process bus, PostgreSQL +
RabbitMQ), a fresh database and bus namespace per test, in-process servers, an HTTP client;
and the markers that select tests by what they need (registered in pyproject.toml).

PostgreSQL and RabbitMQ tests skip with a reason when the server is unreachable, and fail
instead under CI=true, where they must run. A test that asks for either server is marked
`postgres` / `rabbitmq` here, automatically; a fixture that asks for one at run time (the
`settings` fixture's "cluster" param) carries the marks on that param, and `pg_url` and
`rabbit_prefix` refuse a test whose marks do not say it needs them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from overpush.db import migrate
from overpush.runtime import Runtime
from overpush.settings import Settings

from services.runner import Runner
from testkit.backends import (
    PG_SERVER,
    RABBIT,
    bus_prefix,
    cluster_settings,
    delete_bus_namespace,
    fresh_database,
    sqlite_settings,
)
from testkit.servers import running
from tests.needs import need_server

# The marks a test gets for each fixture it uses (directly or through other fixtures).
MARKS_OF_FIXTURE = {"pg_url": ("postgres",), "rabbit_prefix": ("rabbitmq",),
                    "chromium": ("browser",)}
CLUSTER = (pytest.mark.postgres, pytest.mark.rabbitmq)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, marks in MARKS_OF_FIXTURE.items():
            if fixture in names:
                for mark in marks:
                    item.add_marker(mark)


def _require_mark(request: pytest.FixtureRequest, mark: str) -> None:
    # Keeps the markers true: `-m "not postgres"` must deselect every test that needs it.
    if request.node.get_closest_marker(mark) is None:
        pytest.fail(f"{request.node.nodeid} uses the {mark} server but is not marked "
                    f"{mark}: mark the fixture param that asks for it (see tests/conftest.py)")


@pytest.fixture
async def pg_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    _require_mark(request, "postgres")
    need_server("postgres", PG_SERVER, 5432)
    async with fresh_database() as url:
        yield url


@pytest.fixture
async def rabbit_prefix(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A private namespace of exchanges and queues on the shared broker, deleted afterwards."""
    _require_mark(request, "rabbitmq")
    need_server("rabbitmq", RABBIT, 5672)
    prefix = bus_prefix()
    yield prefix
    await delete_bus_namespace(prefix)


@pytest.fixture(params=["single", pytest.param("cluster", marks=CLUSTER)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each backend: SQLite + in-process bus, and PostgreSQL + RabbitMQ."""
    if request.param == "single":
        return sqlite_settings(tmp_path)
    return cluster_settings(request.getfixturevalue("pg_url"),
                            request.getfixturevalue("rabbit_prefix"))


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
    async with running(settings) as runner:
        yield runner


@pytest.fixture
def base_url(settings: Settings) -> str:
    return f"http://{settings.http_host}:{settings.http_port}"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Tests build their own Settings; a developer's OVERPUSH_* variables must not leak in.
    for key in list(os.environ):
        if key.startswith("OVERPUSH_") and not key.startswith("OVERPUSH_TEST_"):
            monkeypatch.delenv(key)
    yield
