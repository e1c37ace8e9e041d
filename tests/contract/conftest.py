"""Fixtures of the contract tests, which hold each backend to one contract: an empty database
of either kind, and started buses of either kind (`buses`, see buses.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.buses import GROUPS, Buses, delete_queues


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/overpush.db"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
def kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    prefix = request.getfixturevalue("rabbit_prefix") if request.param == "rabbitmq" else ""
    return request.param, prefix


@pytest.fixture
async def buses(kind: tuple[str, str]) -> AsyncIterator[Buses]:
    b = Buses(*kind)
    yield b
    await b.close()
    if b.kind == "rabbitmq":
        await delete_queues(b.prefix, GROUPS)
