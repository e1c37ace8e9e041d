"""UtcDateTime's own SQLite text is exactly what SQLAlchemy's DATETIME stores (rows written
before it and comparisons in SQL depend on that), and naive datetimes are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from overpush.models.base import UtcDateTime
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite import DATETIME

DIALECT = sqlite.dialect()


@pytest.mark.parametrize("value", [
    datetime(2026, 11, 30, 20, 20, 2, 562310, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds: still six digits
    datetime(999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=-5))),  # stored as UTC
])
def test_sqlite_text_is_sqlalchemys(value: datetime) -> None:
    ours = UtcDateTime().bind_processor(DIALECT)
    theirs = DATETIME().bind_processor(DIALECT)
    assert ours is not None and theirs is not None
    assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None))
    assert ours(None) is None


def test_naive_datetimes_are_refused() -> None:
    process = UtcDateTime().bind_processor(DIALECT)
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 1, 1))
