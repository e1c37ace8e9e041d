"""Group commit in the intake: requests that arrive together share one transaction, yet each
is decided (token, recipients, sound, quota in arrival order) and answered on its own, and a
request that breaks the shared transaction fails alone."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from overpush import groups
from overpush.errors import ApiError, E
from overpush.intake.accept import Accepted, accept
from overpush.intake.validate import parse_message
from overpush.logs import JsonFormatter
from overpush.models import Message, Receipt, ReceiptMessage, User
from overpush.runtime import Runtime
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from services.admin import accounts as admin
from services.runner import Runner
from tests.factories import make_app, make_user, user_with_device, with_device


def batches(rt: Runtime) -> tuple[int, int, int]:
    """From the group-commit metric: intake transactions so far, the requests they decided,
    and how many of them decided one request alone."""
    sample = rt.metrics.registry.get_sample_value
    return (int(sample("overpush_intake_batch_requests_count") or 0),
            int(sample("overpush_intake_batch_requests_sum") or 0),
            int(sample("overpush_intake_batch_requests_bucket", {"le": "1.0"}) or 0))


def since(before: tuple[int, int, int], rt: Runtime) -> tuple[int, int, int]:
    (a, b, c), (x, y, z) = batches(rt), before
    return a - x, b - y, c - z


async def refuse_tag(rt: Runtime, tag: str) -> None:
    """The database itself refuses a receipt tag, as a constraint or an operator's trigger
    would: a real failure that only the request carrying it triggers."""
    async with rt.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(text(
                "CREATE TRIGGER refuse_tag BEFORE INSERT ON receipt_tags "
                f"WHEN NEW.tag = '{tag}' BEGIN SELECT RAISE(ABORT, 'tag refused'); END"))
            return
        await conn.execute(text(
            "CREATE FUNCTION refuse_tag() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.tag = '{tag}' THEN RAISE EXCEPTION 'tag refused'; END IF; "
            "RETURN NEW; END $$"))
        await conn.execute(text(
            "CREATE TRIGGER refuse_tag BEFORE INSERT ON receipt_tags "
            "FOR EACH ROW EXECUTE FUNCTION refuse_tag()"))


def codes(outcomes: Sequence[object]) -> list[str]:
    return ["ok" if isinstance(o, Accepted) else
            o.errors[0].spec.code if isinstance(o, ApiError) else
            "refused by the database" if isinstance(o, DBAPIError) else type(o).__name__
            for o in outcomes]


@pytest.mark.timeout(120)
async def test_each_request_in_a_batch_is_decided_on_its_own(
    server: Runner, base_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    rt = server.rt
    owner = await make_user(rt)
    token, small = await make_app(rt, owner), await make_app(rt, owner, "Small")
    await admin.set_limit(rt, small, 2)
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, connect=True)
        before = batches(rt)

        def draft(**params: str) -> Any:
            return parse_message({"token": token, "user": dev.user_key, "message": "m",
                                  **params})

        drafts = [draft(title="first"), draft(token="a" * 30), draft(user="u" * 30),
                  draft(sound="nosuchsound"), draft(token=small, title="small 1"),
                  draft(token=small, title="small 2"), draft(token=small, title="small 3"),
                  draft(title="last")]
        ids = [str(uuid.uuid4()) for _ in drafts]
        caplog.set_level(logging.INFO, "overpush.intake.commit")
        outcomes = await asyncio.gather(
            *(accept(rt, d, i) for d, i in zip(drafts, ids, strict=True)),
            return_exceptions=True)
        assert since(before, rt) == (1, len(drafts), 0)  # one transaction decided them all
        # One log line for the batch, naming each admitted request (JSON: `request_ids`).
        [line] = [r for r in caplog.records if r.getMessage().startswith("accepted")]
        admitted = [ids[i] for i in (0, 4, 5, 7)]
        assert json.loads(JsonFormatter().format(line))["request_ids"] == admitted
        assert all(f"(request {i})" in line.getMessage() for i in admitted)
        assert codes(outcomes) == [
            "ok", E.TOKEN_INVALID.code, E.USER_INVALID.code, E.SOUND_INVALID.code,
            "ok", "ok", E.QUOTA_EXCEEDED.code, "ok"]
        over = outcomes[6]
        assert isinstance(over, ApiError) and over.headers["X-Limit-App-Remaining"] == "0"
        small_left = [o.allowance.remaining for o in outcomes[4:6] if isinstance(o, Accepted)]
        assert small_left == [1, 0]  # each admission sees its own count
        got = await dev.download_until(http, 4)
        await dev.close()
    assert sorted(m["title"] for m in got) == ["first", "last", "small 1", "small 2"]


@pytest.mark.timeout(120)
async def test_a_request_that_breaks_the_batch_fails_alone(
    server: Runner, base_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    rt = server.rt
    token = await make_app(rt, await make_user(rt))
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http)
    await refuse_tag(rt, "poison")
    before = batches(rt)
    emergency = {"priority": "2", "retry": "30", "expire": "60"}
    drafts = [parse_message({"token": token, "user": dev.user_key, "message": f"m{i}",
                             **(emergency if i % 2 else {}),
                             **({"tags": "poison"} if i == 3 else {})}) for i in range(6)]
    outcomes = await asyncio.gather(
        *(accept(rt, d, str(uuid.uuid4())) for d in drafts), return_exceptions=True)
    assert codes(outcomes) == ["ok", "ok", "ok", "refused by the database", "ok", "ok"]
    # The shared try, then one transaction for each request.
    assert since(before, rt) == (7, 12, 6)
    assert "group commit of 6 requests failed; committing them one at a time" in caplog.text
    receipts = [o.receipt for o in outcomes if isinstance(o, Accepted) and o.receipt]
    assert len(receipts) == 2
    async with rt.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 5
        assert await s.scalar(select(func.count()).select_from(Receipt)) == 2


@pytest.mark.timeout(120)
async def test_each_request_gets_its_own_message_ids(server: Runner) -> None:
    """Message ids come back from one multi-row INSERT for the whole batch (on SQLite sorted
    by the caller, not by SQLAlchemy): each request's ids are rows of its own, one per
    recipient, and an emergency receipt pairs each id with that row's recipient."""
    rt = server.rt
    owner = await make_user(rt)
    token = await make_app(rt, owner)
    members = [await with_device(rt) for _ in range(3)]  # each can receive
    async with rt.sessions() as s:
        owner_id = await s.scalar(select(User.id).where(User.user_key == owner.user_key))
    assert owner_id is not None
    keys = [await groups.create(rt, owner_id, f"group {n}") for n in range(2)]
    for key, order in zip(keys, ([0, 1, 2], [2, 0]), strict=True):
        for i in order:
            await groups.add_member(rt, owner_id, key, members[i].user_key, None, None)
    emergency = {"priority": "2", "retry": "30", "expire": "60"}
    sends = [(keys[0], emergency), (members[1].user_key, {}), (keys[1], emergency),
             (members[0].user_key, {})]
    drafts = [parse_message({"token": token, "user": to, "message": "m", "title": f"r{n}",
                             **extra}) for n, (to, extra) in enumerate(sends)]
    before = batches(rt)
    outcomes = await asyncio.gather(*(accept(rt, d, str(uuid.uuid4())) for d in drafts))
    assert since(before, rt) == (1, len(drafts), 0)
    async with rt.sessions() as s:
        for n, outcome in enumerate(outcomes):
            assert isinstance(outcome, Accepted)
            rows = (await s.execute(select(Message.id, Message.title, Message.user_id)
                                    .where(Message.id.in_(outcome.message_ids)))).all()
            assert sorted(r.id for r in rows) == sorted(outcome.message_ids)
            assert {r.title for r in rows} == {f"r{n}"}
            assert len({r.user_id for r in rows}) == len(rows) == [3, 1, 2, 1][n]
            if outcome.receipt:
                paired = (await s.execute(
                    select(ReceiptMessage.user_id, Message.user_id)
                    .join(Message, Message.id == ReceiptMessage.message_id)
                    .where(ReceiptMessage.message_id.in_(outcome.message_ids)))).all()
                assert len(paired) == len(rows)
                assert all(a == b for a, b in paired)
