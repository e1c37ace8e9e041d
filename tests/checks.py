"""Checks the layers share: Pushover's error envelope, request ids, and row counts."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from overpush.runtime import Runtime
from sqlalchemy import func, select


def is_uuid(value: object) -> bool:
    try:
        return str(uuid.UUID(str(value))) == value
    except ValueError:
        return False


def error_body(r: httpx.Response, status: int, errors: list[str],
               **fields: str) -> None:
    """Asserts the response is exactly Pushover's error envelope."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert is_uuid(body.pop("request")), body
    assert body == {**fields, "errors": errors, "status": 0}


async def count(rt: Runtime, model: Any) -> int:
    """The number of rows of `model`'s table."""
    async with rt.sessions() as session:
        n = await session.scalar(select(func.count()).select_from(model))
    return int(n or 0)
