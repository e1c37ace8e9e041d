"""Writing the first round's rows (first_round.py): keys and secrets as the first round made
them, and a writer of rows into that revision's own tables (reflected from the database, never
today's models) that holds `now` and the FirstRound being filled."""

from __future__ import annotations

import hashlib
import io
import secrets
import string
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PIL import Image
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from tests.contract.first_round import FirstRound

ALNUM = string.ascii_letters + string.digits


def key(length: int = 30, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()

class Writer:
    def __init__(self, conn: Connection, now: datetime, out: FirstRound) -> None:
        self.conn = conn
        self.meta = MetaData()
        self.meta.reflect(bind=conn)
        self.now, self.out = now, out

    def add(self, table: str, **values: Any) -> int:
        """Inserts one row; returns its id (0 for tables keyed otherwise)."""
        t: Table = self.meta.tables[table]
        if "id" in t.c:
            return int(self.conn.execute(t.insert().returning(t.c.id), values).scalar_one())
        self.conn.execute(t.insert(), values)
        return 0

    def ago(self, **kw: float) -> datetime:
        return self.now - timedelta(**kw)

    def later(self, **kw: float) -> datetime:
        return self.now + timedelta(**kw)
