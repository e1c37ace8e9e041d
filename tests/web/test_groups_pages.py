"""Dashboard pages for groups (members by user key, device, memo) and e-mail addresses."""

from __future__ import annotations

import re

from overpush.models import Group, GroupMember, MailAlias, User
from sqlalchemy import select

from services.runner import Runner
from tests.factories import make_user
from tests.web.helpers import Browser, problem_of


async def test_groups_and_members(signed_in: Browser, server: Runner) -> None:
    friend = await make_user(server.rt)
    assert "You have no groups yet" in (await signed_in.get("/groups")).text
    r = await signed_in.submit("/groups", "/groups", {"name": "On call"})
    assert r.headers["location"] == "/groups?notice=group_saved"
    page = (await signed_in.get("/groups?notice=group_saved")).text
    assert "Group saved." in page
    key = re.search(r'<code id="key-(\w+)">', page)
    assert key and '<label for="g-name">Name</label>' in page
    g = key.group(1)

    r = await signed_in.submit("/groups", f"/groups/{g}/members",
                               {"user": friend.user_key, "device": "phone", "memo": "nights"})
    assert r.headers["location"] == "/groups?notice=group_saved"
    # The API's own checks, in words a person reads: an unknown key, a repeat, a bad device.
    assert "not a user key Overpush knows" in problem_of(await signed_in.submit(
        "/groups", f"/groups/{g}/members", {"user": "u" * 30}))
    assert "already in this group" in problem_of(await signed_in.submit(
        "/groups", f"/groups/{g}/members", {"user": friend.user_key, "device": "phone"}))
    assert "Device names have" in problem_of(await signed_in.submit(
        "/groups", f"/groups/{g}/members", {"user": friend.user_key, "device": "bad name"}))
    await signed_in.submit("/groups", f"/groups/{g}/rename", {"name": "Night shift"})
    await signed_in.submit("/groups", f"/groups/{g}/members/disable",
                           {"user": friend.user_key, "device": "phone"})
    page = (await signed_in.get("/groups")).text
    assert "Night shift" in page and "nights" in page and "Disabled" in page
    assert f'aria-label="Enable {friend.user_key} on phone"' in page
    async with server.rt.sessions() as s:
        group = await s.scalar(select(Group).where(Group.group_key == g))
        assert group is not None and group.name == "Night shift"
        [member] = (await s.scalars(select(GroupMember))).all()
        assert (member.device, member.memo, member.disabled) == ("phone", "nights", True)

    await signed_in.submit("/groups", f"/groups/{g}/members/enable",
                           {"user": friend.user_key, "device": "phone"})
    r = await signed_in.submit("/groups", f"/groups/{g}/members/remove",
                               {"user": friend.user_key, "device": "phone"})
    assert r.headers["location"] == "/groups?notice=group_saved"
    assert "No members yet" in (await signed_in.get("/groups")).text

    # Someone else's group is not found; a form without the CSRF field is refused.
    other = await make_user(server.rt)
    async with server.rt.sessions() as s, s.begin():
        uid = await s.scalar(select(User.id).where(User.user_key == other.user_key))
        assert uid is not None
        s.add(Group(group_key="g" * 30, name="Theirs", owner_id=uid,
                    created_at=server.rt.clock.now()))
    assert "group is not on your account" in problem_of(await signed_in.submit(
        "/groups", f"/groups/{'g' * 30}/rename", {"name": "Mine now"}))
    r = await signed_in.http.post("/groups", data={"name": "no csrf"})
    assert r.status_code == 403


async def test_email_addresses(signed_in: Browser, server: Runner) -> None:
    page = (await signed_in.get("/email")).text
    [first] = re.findall(r'<code id="alias-\d+">([a-z0-9]+@pomail\.net)</code>', page)
    assert "Your first address" in page
    r = await signed_in.submit("/email", "/email", {
        "name": "alarm", "sound": "siren", "priority": "1", "device": "phone",
        "ignore_timestamps": "1"})
    assert r.headers["location"] == "/email?notice=address_saved"
    page = (await signed_in.get("/email")).text
    assert ">alarm@pomail.net</code>" in page and "Siren" in page
    assert "Time of receipt" in page and 'aria-label="Delete alarm@pomail.net"' in page
    assert f'aria-label="Delete {first}"' not in page  # the first address stays
    async with server.rt.sessions() as s:
        a = await s.scalar(select(MailAlias).where(MailAlias.name == "alarm"))
        assert a is not None
        assert (a.sound, a.priority, a.device, a.ignore_timestamps) == ("siren", 1, "phone",
                                                                        True)
    r = await signed_in.submit("/email", "/email", {"name": "no spaces", "priority": "2",
                                                    "sound": "siren"})
    msg = problem_of(r)
    assert "Addresses use 3 to 64" in msg and "priorities" in msg  # every problem at once
    assert 'value="no spaces"' in r.text and '<option value="siren" selected>' in r.text
    assert "taken" in problem_of(await signed_in.submit("/email", "/email", {"name": "ALARM"}))
    assert "cannot be deleted" in problem_of(await signed_in.submit(
        "/email", "/email/delete", {"alias": first}))
    r = await signed_in.submit("/email", "/email/delete", {"alias": "alarm@pomail.net"})
    assert r.headers["location"] == "/email?notice=address_deleted"
    assert "alarm@pomail.net" not in (await signed_in.get("/email")).text
