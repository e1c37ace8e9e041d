"""Teams: the Teams API, members need no licences, the team application's 25,000 messages."""

from __future__ import annotations

import httpx
from overpush.clock import FixedClock
from overpush.db import insert_ignore
from overpush.models import App, AppUsage
from overpush.quota import period_of
from sqlalchemy import select

from services.admin import teams as admin_teams
from services.runner import Runner
from tests.factories import make_app, make_user, user_with_device
from tests.services.licensing_support import send, user_object

DAY = 86400.0


async def test_teams_api_lists_adds_and_removes(server: Runner, base_url: str) -> None:
    rt = server.rt
    api = f"{base_url}/1/teams"
    boss, member = await make_user(rt), await make_user(rt)
    team = await admin_teams.create_team(rt, "Ops", boss.email)
    token = team["token"]
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{api}.json", params={"token": "x" * 30})
        assert r.status_code == 400 and r.json()["errors"] == ["team token is invalid"]
        # The operator adds people directly; the Teams API only invites (test_team_invitations).
        await admin_teams.add_member(rt, "Ops", member.email)
        r = await http.post(f"{api}/add_user.json", data={"token": token, "email": "nope"})
        assert r.status_code == 400 and r.json()["email"] == "invalid"

        r = await http.get(f"{api}.json", params={"token": token})
        body = r.json()
        assert body["name"] == "Ops"
        assert [(u["email"], u["administrator"]) for u in body["users"]] == [
            (boss.email, True), (member.email, False)]
        assert body["group"] == team["group"]
        r = await http.post(f"{api}/remove_user.json", data={"token": token, "email": member.email})
        assert r.status_code == 200
        r = await http.post(f"{api}/remove_user.json", data={"token": token, "email": member.email})
        assert r.status_code == 400 and r.json()["errors"] == ["user is not a member of this team"]
        r = await http.get(f"{api}.json", params={"token": token})
        assert member.email not in {u["email"] for u in r.json()["users"]}


async def test_team_member_needs_no_licence(enforcing: tuple[Runner, FixedClock],
                                            base_url: str) -> None:
    server, clock = enforcing
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        token = await make_app(rt, await make_user(rt))
        member = await user_with_device(rt, base_url, http)
        outsider = await user_with_device(rt, base_url, http)
        await admin_teams.create_team(rt, "Crew", member.email)
        clock.advance(9 * DAY)  # trial and grace long over
        assert await send(rt, http, base_url, token, member.user_key, "to member") == 1
        assert await send(rt, http, base_url, token, outsider.user_key, "to outsider") == 0
        assert (await user_object(member, http))["is_desktop_licensed"] is True
        assert (await user_object(outsider, http))["is_desktop_licensed"] is False
        for d in (member, outsider):
            await d.close()


async def test_team_application_gets_25000_a_month(server: Runner, base_url: str) -> None:
    rt = server.rt
    owner = await make_user(rt)
    team = await admin_teams.create_team(rt, "Big", owner.email)
    plain, teamed = await make_app(rt, owner, "plain"), await make_app(rt, owner, "teamed")
    await admin_teams.assign_app(rt, str(team["team"]), teamed)
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http)
        for token, limit in ((plain, 7500), (teamed, 25000)):
            r = await http.get(f"{base_url}/1/apps/limits.json", params={"token": token})
            assert r.json()["limit"] == limit
        async with rt.sessions() as session, session.begin():
            app_id = await session.scalar(select(App.id).where(App.token == teamed))
            await session.execute(insert_ignore(session, AppUsage, [{
                "app_id": app_id, "period": period_of(rt.clock.now()).key, "used": 24999}],
                ["app_id", "period"]))
        r = await http.post(f"{base_url}/1/messages.json",
                            data={"token": teamed, "user": dev.user_key, "message": "last"})
        assert r.status_code == 200 and r.headers["X-Limit-App-Remaining"] == "0"
        r = await http.post(f"{base_url}/1/messages.json",
                            data={"token": teamed, "user": dev.user_key, "message": "over"})
        assert r.status_code == 429, r.text
        await dev.close()
