"""Group commit in the intake: requests that arrive together share one transaction, yet each
is decided (token, recipients, sound, quota in arrival order) and answered on its own, and a
request that breaks the shared transaction fails alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from overpush.errors import ApiError, E
from overpush.intake import commit
from overpush.intake.accept import Accepted, accept
from overpush.intake.validate import parse_message
from overpush.models import Message, Receipt
from sqlalchemy import func, select

from services.admin import accounts as admin
from services.runner import Runner
from tests.factories import make_app, make_user
from tests.sending_support import user_with_device
from tests.services.people import download_until


def batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A spy on the shared transaction: how many requests each one decided."""
    sizes: list[int] = []
    real = commit._decide_and_write

    async def spy(session: Any, rt: Any, requests: Sequence[commit.Request]) -> Any:
        sizes.append(len(requests))
        return await real(session, rt, requests)

    monkeypatch.setattr(commit, "_decide_and_write", spy)
    return sizes


def codes(outcomes: Sequence[object]) -> list[str]:
    return ["ok" if isinstance(o, Accepted) else
            o.errors[0].spec.code if isinstance(o, ApiError) else type(o).__name__
            for o in outcomes]


@pytest.mark.timeout(120)
async def test_each_request_in_a_batch_is_decided_on_its_own(
    server: Runner, base_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    rt = server.rt
    owner = await make_user(rt)
    token, small = await make_app(rt, owner), await make_app(rt, owner, "Small")
    await admin.set_limit(rt, small, 2)
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, connect=True)
        sizes = batch_sizes(monkeypatch)

        def draft(**params: str) -> Any:
            return parse_message({"token": token, "user": dev.user_key, "message": "m",
                                  **params})

        drafts = [draft(title="first"), draft(token="a" * 30), draft(user="u" * 30),
                  draft(sound="nosuchsound"), draft(token=small, title="small 1"),
                  draft(token=small, title="small 2"), draft(token=small, title="small 3"),
                  draft(title="last")]
        outcomes = await asyncio.gather(
            *(accept(rt, d, str(uuid.uuid4())) for d in drafts), return_exceptions=True)
        assert sizes == [len(drafts)]
        assert codes(outcomes) == [
            "ok", E.TOKEN_INVALID.code, E.USER_INVALID.code, E.SOUND_INVALID.code,
            "ok", "ok", E.QUOTA_EXCEEDED.code, "ok"]
        over = outcomes[6]
        assert isinstance(over, ApiError) and over.headers["X-Limit-App-Remaining"] == "0"
        small_left = [o.allowance.remaining for o in outcomes[4:6] if isinstance(o, Accepted)]
        assert small_left == [1, 0]  # each admission sees its own count
        got = await download_until(dev, http, 4)
        await dev.close()
    assert sorted(m["title"] for m in got) == ["first", "last", "small 1", "small 2"]


@pytest.mark.timeout(120)
async def test_a_request_that_breaks_the_batch_fails_alone(
    server: Runner, base_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    rt = server.rt
    token = await make_app(rt, await make_user(rt))
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http)
    sizes = batch_sizes(monkeypatch)
    real_create = commit.receipts.create

    async def create(session: Any, **kw: Any) -> str:
        if "poison" in kw["tags"]:
            raise RuntimeError("a bug this one request triggers")
        return await real_create(session, **kw)

    monkeypatch.setattr(commit.receipts, "create", create)
    emergency = {"priority": "2", "retry": "30", "expire": "60"}
    drafts = [parse_message({"token": token, "user": dev.user_key, "message": f"m{i}",
                             **(emergency if i % 2 else {}),
                             **({"tags": "poison"} if i == 3 else {})}) for i in range(6)]
    outcomes = await asyncio.gather(
        *(accept(rt, d, str(uuid.uuid4())) for d in drafts), return_exceptions=True)
    assert codes(outcomes) == ["ok", "ok", "ok", "RuntimeError", "ok", "ok"]
    assert sizes == [6, 1, 1, 1, 1, 1, 1]  # the shared try, then one at a time
    receipts = [o.receipt for o in outcomes if isinstance(o, Accepted) and o.receipt]
    assert len(receipts) == 2
    async with rt.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 5
        assert await s.scalar(select(func.count()).select_from(Receipt)) == 2
