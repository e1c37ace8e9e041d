"""Which SQLite file a command would open, and the warning when it does not exist yet."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url


def sqlite_file(url: str) -> Path | None:
    """The absolute path of an SQLite database file (None for other databases, memory)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).absolute()


def new_database_warning(url: str) -> str | None:
    """For an admin command: the warning when it is about to create a new, empty database
    (most often because it was started in another directory than `overpush run`)."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return None
    relative = not Path(make_url(url).database or "").is_absolute()
    where = ("relative to the directory a command is started in; " if relative else "")
    return (
        f"overpush: warning: there is no database at {path}; this command creates a new, "
        f"empty one.\n"
        f"  The database is OVERPUSH_DATABASE_URL={url} ({where}the server's is where "
        f"`overpush run` was started). To reach the server's users and applications, run "
        f"this command in that directory or set OVERPUSH_DATABASE_URL to the same file."
    )
