"""Fixtures of the contract tests, which hold each backend to one contract: an empty database
of either kind. (The buses under contract are made by test_bus.py's own `buses`.)"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/overpush.db"
    url: str = request.getfixturevalue("pg_url")
    return url
