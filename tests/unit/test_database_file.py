"""Which SQLite file an admin command opens, and when it warns that it creates a new one."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.admin.database_file import new_database_warning, sqlite_file


def test_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_file("sqlite+aiosqlite:///./var/overpush.db") == tmp_path / "var/overpush.db"
    assert sqlite_file("sqlite+aiosqlite:////srv/o.db") == Path("/srv/o.db")
    for url in ("postgresql+asyncpg://u@h/db", "sqlite+aiosqlite:///:memory:",
                "sqlite+aiosqlite://"):
        assert sqlite_file(url) is None


def test_warning_only_for_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = "sqlite+aiosqlite:///./var/overpush.db"
    text = new_database_warning(relative)
    assert text is not None and str(tmp_path / "var/overpush.db") in text
    assert "relative to the directory" in text and "OVERPUSH_DATABASE_URL" in text
    absolute = f"sqlite+aiosqlite:///{tmp_path}/elsewhere.db"
    text = new_database_warning(absolute)
    assert text is not None and "relative" not in text
    (tmp_path / "elsewhere.db").write_bytes(b"")
    assert new_database_warning(absolute) is None
    assert new_database_warning("postgresql+asyncpg://u@h/db") is None
