"""The Groups API (spec §6) and group sends: members, named devices, disabled members."""

from __future__ import annotations

import httpx
import pytest

from services.runner import Runner
from tests.factories import PASSWORD, Account, make_app, make_user, user_with_device


async def test_group_api_and_group_send(server: Runner, base_url: str) -> None:
    rt = server.rt
    api = f"{base_url}/1"
    async with httpx.AsyncClient(timeout=10) as http:
        owner = await make_user(rt)
        token = await make_app(rt, owner)
        a = await user_with_device(rt, base_url, http, name="phone", connect=True)
        a_desk = await user_with_device(rt, base_url, http, name="desk", connect=True,
                                        account=await _account_of(rt, a.email))
        b = await user_with_device(rt, base_url, http, connect=True)
        c = await user_with_device(rt, base_url, http, connect=True)

        r = await http.post(f"{api}/groups.json", data={"token": token, "name": "Ops"})
        assert r.status_code == 200, r.text
        group = r.json()["group"]
        assert len(group) == 30 and group.isalnum()
        r = await http.get(f"{api}/groups.json", params={"token": token})
        assert r.json()["groups"] == [{"group": group, "name": "Ops"}]

        g = f"{api}/groups/{group}"
        for data in ({"user": a.user_key, "device": "phone", "memo": "on call"},
                     {"user": b.user_key}, {"user": c.user_key}):
            r = await http.post(f"{g}/add_user.json", data={"token": token, **data})
            assert r.status_code == 200, r.text
        r = await http.post(f"{g}/add_user.json", data={"token": token, "user": b.user_key})
        assert r.status_code == 400 and r.json()["errors"] == [
            "user is already a member of this group"]
        r = await http.post(f"{g}/disable_user.json", data={"token": token, "user": c.user_key})
        assert r.status_code == 200, r.text
        r = await http.post(f"{g}/rename.json", data={"token": token, "name": "Ops team"})
        assert r.status_code == 200, r.text
        r = await http.get(f"{g}.json", params={"token": token})
        body = r.json()
        assert body["name"] == "Ops team"
        assert body["users"] == [
            {"user": a.user_key, "device": "phone", "memo": "on call", "disabled": False},
            {"user": b.user_key, "device": None, "memo": "", "disabled": False},
            {"user": c.user_key, "device": None, "memo": "", "disabled": True},
        ]

        r = await http.post(f"{api}/messages.json", data={
            "token": token, "user": group, "message": "to the group"})
        assert r.status_code == 200, r.text
        assert r.headers["X-Limit-App-Remaining"] == "7498"  # a and b: one each
        assert [m["message"] for m in await a.receive(http)] == ["to the group"]
        assert [m["message"] for m in await b.receive(http)] == ["to the group"]
        assert await a_desk.download(http) == []  # a's entry names the phone only
        assert await c.download(http) == []  # disabled

        r = await http.post(f"{g}/enable_user.json", data={"token": token, "user": c.user_key})
        assert r.status_code == 200
        r = await http.post(f"{g}/delete_user.json", data={"token": token, "user": a.user_key})
        assert r.status_code == 200
        r = await http.post(f"{g}/remove_user.json", data={"token": token, "user": b.user_key})
        assert r.status_code == 200
        r = await http.post(f"{g}/remove_user.json", data={"token": token, "user": b.user_key})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
        assert r.json()["errors"] == ["user is not a member of this group"]
        r = await http.post(f"{api}/messages.json", data={
            "token": token, "user": f"{group},{c.user_key}", "message": "again"})
        assert r.status_code == 200 and r.headers["X-Limit-App-Remaining"] == "7497"
        assert [m["message"] for m in await c.receive(http)] == ["again"]  # once, not twice
        for d in (a, a_desk, b, c):
            await d.close()


async def _account_of(rt: object, email: str) -> Account:
    return Account(email, "", PASSWORD)


@pytest.mark.parametrize("settings", ["single"], indirect=True)
async def test_group_errors(server: Runner, base_url: str) -> None:
    rt = server.rt
    api = f"{base_url}/1"
    async with httpx.AsyncClient(timeout=10) as http:
        token = await make_app(rt, await make_user(rt))
        stranger = await make_app(rt, await make_user(rt))
        group = (await http.post(f"{api}/groups.json",
                                 data={"token": token, "name": "G"})).json()["group"]
        r = await http.get(f"{api}/groups/{group}.json", params={"token": stranger})
        assert r.status_code == 400 and r.json()["group"] == "not found"
        assert r.json()["errors"] == ["group not found or you are not authorized to edit it"]
        r = await http.post(f"{api}/groups.json", data={"token": token, "name": ""})
        assert r.status_code == 400 and r.json()["name"] == "invalid"
        r = await http.post(f"{api}/groups.json", data={"token": "x" * 30, "name": "n"})
        assert r.status_code == 400 and r.json()["token"] == "invalid"
        r = await http.post(f"{api}/groups/{group}/add_user.json",
                            data={"token": token, "user": "nope"})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
        # An empty group has nobody to reach.
        r = await http.post(f"{api}/messages.json",
                            data={"token": token, "user": group, "message": "m"})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
