"""Teams' emergency SMS: sent once, only when no acknowledgement came, to a fake provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from overpush import team_sms
from overpush.clock import FixedClock
from overpush.models import SmsAlert
from overpush.settings import Settings
from overpush.sms import provider_of
from sqlalchemy import select

from services.admin import teams as admin_teams
from services.runner import Runner
from testkit.servers import running
from tests.callback_receiver import Receiver
from tests.factories import make_app, make_user, user_with_device
from tests.services.licensing_support import T0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


@pytest.fixture
async def sms_server(settings: Settings, receiver: Receiver
                     ) -> AsyncIterator[tuple[Runner, FixedClock]]:
    clock = FixedClock(T0)
    # The service's own SMS loop ticks once at start; the test ticks it by hand after that.
    s = settings.model_copy(update={"sms_url": receiver.url, "sms_from": "+15550000000",
                                    "sms_token": "sekrit", "sms_tick_interval": 3600.0})
    async with running(s, clock=clock) as runner:
        yield runner, clock


async def test_sms_sent_once_and_only_without_acknowledgement(
    sms_server: tuple[Runner, FixedClock], receiver: Receiver, base_url: str
) -> None:
    server, clock = sms_server
    rt = server.rt
    provider = provider_of(rt.settings)
    async with httpx.AsyncClient(timeout=10) as http:
        token = await make_app(rt, await make_user(rt), "Pager")
        ann = await user_with_device(rt, base_url, http)
        bob = await user_with_device(rt, base_url, http)
        solo = await user_with_device(rt, base_url, http)  # not in the team
        team = await admin_teams.create_team(rt, "Ops", ann.email)
        await admin_teams.add_member(rt, "Ops", bob.email)
        await admin_teams.set_sms(rt, str(team["team"]), 120)
        await admin_teams.set_phone(rt, ann.email, "+15555550101")
        await admin_teams.set_phone(rt, bob.email, "+15555550102")

        receipts = {}
        for dev in (ann, bob, solo):
            r = await http.post(f"{base_url}/1/messages.json", data={
                "token": token, "user": dev.user_key, "title": "db1", "message": "is down",
                "priority": "2", "retry": "60", "expire": "3600"})
            assert r.status_code == 200, r.text
            receipts[dev.email] = r.json()["receipt"]

        clock.advance(119)
        assert await team_sms.tick(rt, provider) == 0  # not due yet
        r = await http.post(f"{base_url}/1/receipts/{receipts[bob.email]}/acknowledge.json",
                            data={"secret": bob.secret, "device_id": bob.device_id})
        assert r.status_code == 200, r.text

        clock.advance(1)
        assert await team_sms.tick(rt, provider) == 2  # ann's and bob's timers; solo has none
        [text] = receiver.received
        assert text["to"] == "+15555550101" and text["from"] == "+15550000000"
        assert text["body"] == "Pager: db1 - is down (not acknowledged)"
        assert text["_auth"] == "Bearer sekrit"

        clock.advance(600)
        assert await team_sms.tick(rt, provider) == 0
        assert len(receiver.received) == 1  # once
        async with rt.sessions() as session:
            outcomes = sorted((await session.scalars(select(SmsAlert.outcome))).all())
        assert outcomes == ["acknowledged", "sent"]
        for d in (ann, bob, solo):
            await d.close()


async def test_failed_sms_is_tried_again_then_sent_once(
    sms_server: tuple[Runner, FixedClock], receiver: Receiver, base_url: str
) -> None:
    server, clock = sms_server
    rt = server.rt
    provider = provider_of(rt.settings)
    receiver.fail_first = 1  # the provider answers 500 once
    async with httpx.AsyncClient(timeout=10) as http:
        token = await make_app(rt, await make_user(rt), "Pager")
        ann = await user_with_device(rt, base_url, http)
        team = await admin_teams.create_team(rt, "Night", ann.email)
        await admin_teams.set_sms(rt, str(team["team"]), 30)
        await admin_teams.set_phone(rt, ann.email, "+15555550101")
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": ann.user_key, "message": "down", "priority": "2",
            "retry": "60", "expire": "3600"})
        assert r.status_code == 200, r.text
        clock.advance(30)
        assert await team_sms.tick(rt, provider) == 1
        assert receiver.answered == [500] and receiver.received == []
        clock.advance(30)
        assert await team_sms.tick(rt, provider) == 0  # retried a minute after the failure
        clock.advance(30)
        assert await team_sms.tick(rt, provider) == 1
        assert [t["body"] for t in receiver.received] == ["Pager: down (not acknowledged)"]
        clock.advance(600)
        assert await team_sms.tick(rt, provider) == 0
        assert len(receiver.received) == 1
        await ann.close()
