"""The dashboard's place to answer a team's invitation (security issue item 8): a signed-in
person sees the invitation, accepts or declines it; only then does the team see them."""

from __future__ import annotations

import re

import httpx
from overpush.models import TeamInvitation
from sqlalchemy import select

from services.admin import teams as admin_teams
from services.runner import Runner
from tests.factories import make_user
from tests.web.helpers import VIEWER, Browser

INVITE = re.compile(r'action="(/team/invitations/\d+)/accept"')


async def _team(server: Runner, name: str) -> dict[str, object]:
    boss = await make_user(server.rt)
    return await admin_teams.create_team(server.rt, name, boss.email)


async def _members(base_url: str, token: str) -> set[str]:
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{base_url}/1/teams.json", params={"token": token})
    return {u["email"] for u in r.json()["users"]}


async def _invite(base_url: str, token: str, email: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{base_url}/1/teams/add_user.json",
                            data={"token": token, "email": email, "group": "Night shift"})
    assert r.status_code == 200, r.text


async def test_accept_on_the_dashboard(signed_in: Browser, server: Runner,
                                       base_url: str) -> None:
    team = await _team(server, "Ops")
    token = str(team["token"])
    assert "Invitation to join" not in (await signed_in.get("/")).text
    await _invite(base_url, token, VIEWER)
    home = (await signed_in.get("/")).text
    assert "Invitation to join Ops" in home and "see your e-mail address" in home
    found = INVITE.search(home)
    assert found
    assert VIEWER not in await _members(base_url, token)

    r = await signed_in.submit("/", f"{found.group(1)}/accept", {})
    assert r.headers["location"] == "/?notice=team_joined"
    home = (await signed_in.get("/?notice=team_joined")).text
    assert "You joined the team." in home and "Invitation to join Ops" not in home
    assert VIEWER in await _members(base_url, token)
    # Answering again, or someone else's invitation, does nothing.
    r = await signed_in.submit("/", f"{found.group(1)}/accept", {})
    assert r.headers["location"] == "/"


async def test_decline_on_the_dashboard(signed_in: Browser, server: Runner,
                                        base_url: str) -> None:
    team = await _team(server, "Ops")
    token = str(team["token"])
    await _invite(base_url, token, VIEWER)
    found = INVITE.search((await signed_in.get("/")).text)
    assert found
    r = await signed_in.submit("/", f"{found.group(1)}/decline", {})
    assert r.headers["location"] == "/?notice=team_declined"
    home = (await signed_in.get("/?notice=team_declined")).text
    assert "Invitation declined" in home and "Invitation to join Ops" not in home
    assert VIEWER not in await _members(base_url, token)
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{base_url}/1/teams.json", params={"token": token})
    assert r.json()["invitations"] == []


async def test_an_invitation_cannot_be_answered_by_someone_else(
        signed_in: Browser, server: Runner, base_url: str) -> None:
    team = await _team(server, "Ops")
    other = await make_user(server.rt)
    await _invite(base_url, str(team["token"]), other.email)
    async with server.rt.sessions() as s:
        inv_id = await s.scalar(select(TeamInvitation.id))
    r = await signed_in.submit("/", f"/team/invitations/{inv_id}/accept", {})
    assert r.headers["location"] == "/"
    assert other.email not in await _members(base_url, str(team["token"]))
    # A form without the CSRF field is refused.
    r = await signed_in.http.post(f"/team/invitations/{inv_id}/accept", data={})
    assert r.status_code == 403
