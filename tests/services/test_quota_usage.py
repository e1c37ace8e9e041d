"""The quota service's daily usage counts (services/quota): a burst of sends is counted in
batches, exactly, per application; a redelivered MessageAccepted counts nothing. Both
backends, over real HTTP."""

from __future__ import annotations

import asyncio

import httpx
from overpush.events import MessageAccepted
from overpush.models import App, DailyUsage, Message
from sqlalchemy import func, select

from services.runner import Runner
from tests.factories import Person, make_app
from tests.waiting import until_awaited


async def _counted(server: Runner) -> dict[int, int]:
    async with server.rt.sessions() as session:
        rows = await session.execute(select(DailyUsage.app_id, func.sum(DailyUsage.messages))
                                     .group_by(DailyUsage.app_id))
        return {int(a): int(n) for a, n in rows.all()}


async def test_a_burst_is_counted_exactly_and_a_redelivery_not_at_all(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person,
) -> None:
    other = await make_app(server.rt, ann.account, "Other")
    url = f"{base_url}/1/messages.json"
    sends = [(token if i % 3 else other, f"m{i}") for i in range(30)]
    answers = await asyncio.gather(*(
        http.post(url, data={"token": t, "user": ann.key, "message": m}) for t, m in sends))
    assert [r.status_code for r in answers] == [200] * 30
    async with server.rt.sessions() as session:
        ids = dict((await session.execute(select(App.token, App.id))).all())
    want = {ids[token]: 20, ids[other]: 10}
    await until_awaited(lambda: _eq(server, want), "every send is counted")

    # The same event again (a redelivery after a crash, say): the inbox drops it.
    async with server.rt.sessions() as session:
        first = await session.scalar(select(func.min(Message.id)))
    assert first is not None
    again = MessageAccepted(message_ids=[first], app_id=ids[token], priority=0)
    await server.rt.bus.publish(again)
    await server.rt.bus.publish(again)
    fresh = MessageAccepted(message_ids=[first], app_id=ids[other], priority=0)
    await server.rt.bus.publish(fresh)  # a new event is counted: the consumer is still there
    await until_awaited(lambda: _eq(server, {ids[token]: 21, ids[other]: 11}),
                        "the new event is counted, the repeat once")
    assert await _counted(server) == {ids[token]: 21, ids[other]: 11}


async def _eq(server: Runner, want: dict[int, int]) -> bool:
    return await _counted(server) == want
