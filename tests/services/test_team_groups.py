"""Teams' delivery groups (parity issue §1), over real HTTP on both backends: add_user's
`group` is joined with the invitation, a message's `device` is honoured for a team group, and a
team from before the groups gets its automatic group with every member. The invitations
themselves: test_team_invitations.py."""

from __future__ import annotations

from pathlib import Path

import httpx
from overpush.models import Group, GroupMember, Message, Team, User
from sqlalchemy import delete, func, select, update

from services.admin import teams as admin_teams
from services.runner import Runner
from tests.factories import make_app, make_user, user_with_device
from tests.services.team_support import answer
from tests.web.helpers import last_link


async def test_group_joins_with_the_invitation_and_device_is_honoured(
        mail_dir: Path, server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    rt = server.rt
    boss = await make_user(rt)
    team = await admin_teams.create_team(rt, "Ops", boss.email)
    token = await make_app(rt, boss, "Pager")
    api = f"{base_url}/1/teams"
    ann = await make_user(rt)
    ann_phone = await user_with_device(rt, base_url, http, "phone", connect=True, account=ann)
    ann_laptop = await user_with_device(rt, base_url, http, "laptop", account=ann)
    bob = await user_with_device(rt, base_url, http, "laptop", connect=True)
    for who in (ann_phone, bob):
        r = await http.post(f"{api}/add_user.json", data={
            "token": team["token"], "email": who.email, "group": "Night shift"})
        assert r.status_code == 200, r.text
    async with rt.sessions() as s:  # the group exists at once, empty until people accept
        night = await s.scalar(select(Group).where(Group.name == "Night shift"))
        assert night is not None and night.team_id == team["team"]
        assert await s.scalar(select(func.count()).select_from(GroupMember).where(
            GroupMember.group_id == night.id)) == 0
    for who in (ann_phone, bob):
        r = await answer(base_url, last_link(mail_dir, who.email, "/invitations/"), "accept")
        assert r.status_code == 200, r.text
    body = (await http.get(f"{api}.json", params={"token": team["token"]})).json()
    everyone = body["group"]
    assert everyone == team["group"]

    async def send(user: str, **more: str) -> httpx.Response:
        return await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": user, "message": "db down", **more})

    for group in (night.group_key, everyone):
        r = await send(group, device="phone")
        assert r.status_code == 200, r.text
        async with rt.sessions() as s:
            rows = (await s.execute(select(Message.user_id, Message.devices).where(
                Message.request_id == r.json()["request"]))).all()
            ann_id = await s.scalar(select(User.id).where(User.email == ann_phone.email))
        assert rows == [(ann_id, "phone")]  # Bob has no phone: nothing for him
        r = await send(group, device="tablet")
        assert r.status_code == 400
        assert r.json()["device"] == "invalid", r.text
    assert len(await ann_phone.download_until(http, 2)) == 2
    assert await ann_laptop.download(http) == []
    r = await send(night.group_key)  # without device: every member's devices
    assert r.status_code == 200
    assert len(await bob.download_until(http, 1)) == 1
    for d in (ann_phone, ann_laptop, bob):
        await d.close()


async def test_a_team_from_before_gets_its_auto_group_with_every_member(
        mail_dir: Path, server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    rt = server.rt
    boss, member = await make_user(rt), await make_user(rt)
    team = await admin_teams.create_team(rt, "Ops", boss.email)
    await admin_teams.add_member(rt, "Ops", member.email)
    async with rt.sessions() as s, s.begin():  # as a team of the first round: no group yet
        await s.execute(delete(Group))
        await s.execute(update(Team).values(group_id=None))
    r = await http.get(f"{base_url}/1/teams.json", params={"token": team["token"]})
    key = r.json()["group"]
    assert key != team["group"]
    async with rt.sessions() as s:
        keys = set((await s.scalars(select(User.user_key).join(
            GroupMember, GroupMember.user_id == User.id).join(
            Group, Group.id == GroupMember.group_id).where(Group.group_key == key))).all())
    assert keys == {boss.user_key, member.user_key}
    r = await http.get(f"{base_url}/1/teams.json", params={"token": team["token"]})
    assert r.json()["group"] == key  # made once
    # Removing a member takes them out of the team's groups too.
    r = await http.post(f"{base_url}/1/teams/remove_user.json",
                        data={"token": team["token"], "email": member.email})
    assert r.status_code == 200
    async with rt.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(GroupMember)) == 1
