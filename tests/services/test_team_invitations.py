"""Teams API invitations (security issue item 8) and add_user's `group`, `name`, `instant`
(parity issue §1), over real HTTP on both backends: a team invites, the person joins only by
accepting from the mailed link, and nothing about them reaches the team before that."""

from __future__ import annotations

from pathlib import Path

import httpx
from overpush.models import Device, Group, GroupMember, TeamInvitation, User
from sqlalchemy import func, select

from services.admin import teams as admin_teams
from services.runner import Runner
from testkit.device import DesktopDevice
from tests.checks import count
from tests.factories import make_user, user_with_device
from tests.services.team_support import answer
from tests.web.helpers import Browser, last_link


async def _user(server: Runner, email: str) -> User | None:
    async with server.rt.sessions() as s:
        return await s.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def test_an_existing_account_is_invited_and_joins_only_by_accepting(
        mail_dir: Path, server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    rt = server.rt
    boss = await make_user(rt)
    team = await admin_teams.create_team(rt, "Ops", boss.email)
    api = f"{base_url}/1/teams"
    member = await user_with_device(rt, base_url, http, "pager-7")
    r = await http.post(f"{api}/add_user.json", data={
        "token": team["token"], "email": member.email.upper(), "name": "Mia Member"})
    assert r.status_code == 200, r.text

    # Before accepting: the listing shows the address the team typed, nothing of the person.
    listing = (await http.get(f"{api}.json", params={"token": team["token"]})).text
    for secret in (member.user_key, member.email, "pager-7"):
        assert secret not in listing
    body = (await http.get(f"{api}.json", params={"token": team["token"]})).json()
    assert [u["email"] for u in body["users"]] == [boss.email]
    assert body["invitations"][0]["email"] == member.email.upper()
    async with rt.sessions() as s:  # not in the team's auto group either
        assert member.user_key not in {m for m in (await s.scalars(
            select(User.user_key).join(GroupMember, GroupMember.user_id == User.id))).all()}

    link = last_link(mail_dir, member.email.upper(), "/invitations/")
    opened = await http.get(link)  # a mail scanner opening the link changes nothing
    assert opened.status_code == 200 and "Join Ops?" in opened.text
    assert "pager-7" not in (await http.get(f"{api}.json", params={"token": team["token"]})).text

    r = await answer(base_url, link, "accept")
    assert r.status_code == 200 and "You joined Ops" in r.text
    body = (await http.get(f"{api}.json", params={"token": team["token"]})).json()
    joined = {u["email"]: u for u in body["users"]}[member.email]
    assert (joined["id"], joined["name"]) == (member.user_key, "Mia Member")
    assert [d["name"] for d in joined["devices"]] == ["pager-7"]
    assert body["invitations"] == []
    r = await http.get(link)  # the link works once
    assert r.status_code == 400 and "Invitation not valid" in r.text

    # For a member, add_user's fields apply at once: nothing new is shown to the team.
    r = await http.post(f"{api}/add_user.json", data={
        "token": team["token"], "email": member.email, "admin": "true", "group": "Leads"})
    assert r.status_code == 200, r.text
    body = (await http.get(f"{api}.json", params={"token": team["token"]})).json()
    joined = {u["email"]: u for u in body["users"]}[member.email]
    assert (joined["name"], joined["administrator"], body["invitations"]) == (
        "Mia Member", True, [])
    async with rt.sessions() as s:
        leads = set((await s.scalars(select(User.user_key).join(
            GroupMember, GroupMember.user_id == User.id).join(
            Group, Group.id == GroupMember.group_id).where(Group.name == "Leads"))).all())
    assert leads == {member.user_key}
    await member.close()


async def test_a_new_address_gets_an_unconfirmed_account_and_the_sameanswer(
        mail_dir: Path, server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    rt = server.rt
    boss, existing = await make_user(rt), await make_user(rt)
    team = await admin_teams.create_team(rt, "Ops", boss.email)
    api = f"{base_url}/1/teams"

    async def add(email: str, **more: str) -> dict[str, object]:
        r = await http.post(f"{api}/add_user.json",
                            data={"token": team["token"], "email": email, **more})
        assert r.status_code == 200, r.text
        out: dict[str, object] = r.json()
        out.pop("request")
        return out

    # Whether the address has an account does not show in the answer.
    assert await add(existing.email) == await add("new@example.com", password="chosen pw 1")
    newbie = await _user(server, "new@example.com")
    assert newbie is not None and newbie.email_confirmed_at is None
    listing = (await http.get(f"{api}.json", params={"token": team["token"]})).text
    assert newbie.user_key not in listing
    assert "new@example.com" not in [u["email"] for u in
                                     (await http.get(f"{api}.json", params={
                                         "token": team["token"]})).json()["users"]]

    # Whoever knows the team's password cannot accept for the person (the dashboard does
    # not offer it), and what they did with the account before it was accepted goes.
    # (Whether an unconfirmed account may log in at all is the accounts' rule; either way.)
    squatter = DesktopDevice(base_url, "new@example.com", "chosen pw 1", name="squat")
    logged_in = (await http.post(f"{base_url}/1/users/login.json", data={
        "email": "new@example.com", "password": "chosen pw 1"})).status_code == 200
    if logged_in:
        await squatter.login(http)
        await squatter.register(http)
    b = Browser(base_url)
    try:
        if (await b.log_in("new@example.com", "chosen pw 1")).status_code == 303:
            assert "Invitation to join" not in (await b.get("/")).text
    finally:
        await b.close()
    # The team's password works once the person accepted; the address is then confirmed.
    r = await answer(base_url, last_link(mail_dir, "new@example.com", "/invitations/"),
                      "accept")
    assert r.status_code == 200 and "Your address is confirmed" in r.text
    confirmed = await _user(server, "new@example.com")
    assert confirmed is not None and confirmed.email_confirmed_at is not None
    r = await http.post(f"{base_url}/1/users/login.json",
                        data={"email": "new@example.com", "password": "chosen pw 1"})
    assert r.status_code == 200 and r.json()["id"] == newbie.user_key
    if logged_in:
        r = await http.get(f"{base_url}/1/messages.json",
                           params={"secret": squatter.secret, "device_id": squatter.device_id})
        assert r.status_code == 400, r.text
    async with rt.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Device).where(
            Device.user_id == newbie.id)) == 0

    # Without a password, the person chooses one when accepting.
    await add("pick@example.com")
    link = last_link(mail_dir, "pick@example.com", "/invitations/")
    r = await answer(base_url, link, "accept", password="short")
    assert r.status_code == 400
    r = await answer(base_url, link, "accept", password="my own password")
    assert r.status_code == 200, r.text
    r = await http.post(f"{base_url}/1/users/login.json",
                        data={"email": "pick@example.com", "password": "my own password"})
    assert r.status_code == 200, r.text

    # Declining removes an account the invitation made; a short password is refused.
    await add("no@example.com")
    r = await answer(base_url, last_link(mail_dir, "no@example.com", "/invitations/"),
                      "decline")
    assert r.status_code == 200 and "Invitation declined" in r.text
    assert await _user(server, "no@example.com") is None
    r = await http.post(f"{api}/add_user.json", data={
        "token": team["token"], "email": "x@example.com", "password": "short"})
    assert r.status_code == 400 and r.json()["password"] == "invalid"
    users = {u["email"] for u in (await http.get(f"{api}.json", params={
        "token": team["token"]})).json()["users"]}
    assert users == {boss.email, "new@example.com", "pick@example.com"}


async def test_instant_login_signs_a_new_account_in(
        mail_dir: Path, server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    boss = await make_user(server.rt)
    team = await admin_teams.create_team(server.rt, "Ops", boss.email)
    r = await http.post(f"{base_url}/1/teams/add_user.json", data={
        "token": team["token"], "email": "quick@example.com", "password": "team chosen 1",
        "instant": "true"})
    assert r.status_code == 200
    b = Browser(base_url)
    try:
        path = last_link(mail_dir, "quick@example.com", "/invitations/").removeprefix(base_url)
        r = await b.submit(path, f"{path}/accept", {})
        assert r.status_code == 303 and r.headers["location"] == "/?notice=team_joined"
        home = await b.get("/?notice=team_joined")
        assert home.status_code == 200 and "quick@example.com" in home.text
        assert "You joined the team." in home.text
    finally:
        await b.close()


async def test_invitations_are_withdrawn_and_other_teams_members_stay(
        mail_dir: Path, server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    rt = server.rt
    boss, other_boss, member = await make_user(rt), await make_user(rt), await make_user(rt)
    team = await admin_teams.create_team(rt, "Ops", boss.email)
    other = await admin_teams.create_team(rt, "Other", other_boss.email)
    await admin_teams.add_member(rt, "Other", member.email)
    api = f"{base_url}/1/teams"
    # A member of another team is invited like anyone (the answer tells nothing) ...
    r = await http.post(f"{api}/add_user.json",
                        data={"token": team["token"], "email": member.email})
    assert r.status_code == 200, r.text
    # ... and accepting tells the person to leave the other team first.
    r = await answer(base_url, last_link(mail_dir, member.email, "/invitations/"), "accept")
    assert r.status_code == 400 and "another team" in r.text
    r = await http.get(f"{api}.json", params={"token": other["token"]})
    assert member.email in {u["email"] for u in r.json()["users"]}

    r = await http.post(f"{api}/revoke_invitation.json",
                        data={"token": team["token"], "email": member.email})
    assert r.status_code == 200
    r = await http.get(last_link(mail_dir, member.email, "/invitations/"))
    assert r.status_code == 400 and "Invitation not valid" in r.text
    r = await http.post(f"{api}/revoke_invitation.json",
                        data={"token": team["token"], "email": member.email})
    assert r.status_code == 400 and r.json()["email"] == "invalid"

    # remove_user withdraws a pending invitation too, and deletes the account it made.
    await http.post(f"{api}/add_user.json", data={"token": team["token"],
                                                  "email": "gone@example.com"})
    assert await _user(server, "gone@example.com") is not None
    r = await http.post(f"{api}/remove_user.json",
                        data={"token": team["token"], "email": "gone@example.com"})
    assert r.status_code == 200
    assert await _user(server, "gone@example.com") is None
    assert await count(rt, TeamInvitation) == 0


