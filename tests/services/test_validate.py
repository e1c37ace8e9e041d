"""POST /1/users/validate.json (spec §3) for users and groups, with Pushover's error bodies."""

from __future__ import annotations

import httpx
import pytest

from services.runner import Runner
from tests.factories import PASSWORD, Account, make_app, make_user, user_with_device


@pytest.mark.parametrize("settings", ["single"], indirect=True)
async def test_validate_users_groups_and_errors(server: Runner, base_url: str) -> None:
    rt = server.rt
    url = f"{base_url}/1/users/validate.json"
    async with httpx.AsyncClient(timeout=10) as http:
        token = await make_app(rt, await make_user(rt))
        a = await user_with_device(rt, base_url, http, name="laptop")
        await user_with_device(rt, base_url, http, name="desk",
                               account=Account(a.email, "", PASSWORD))
        lonely = await make_user(rt)

        r = await http.post(url, data={"token": token, "user": a.user_key})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["status"], body["group"]) == (1, 0)
        assert body["devices"] == ["laptop", "desk"] and body["licenses"] == ["Desktop"]

        r = await http.post(url, data={"token": token, "user": a.user_key, "device": "desk"})
        assert r.status_code == 200 and r.json()["devices"] == ["laptop", "desk"]

        r = await http.post(url, data={"token": token, "user": a.user_key, "device": "phone"})
        assert r.status_code == 400
        body = r.json()
        assert body["device"] == "invalid for this user" and body["group"] == 0
        assert body["licenses"] == ["Desktop"]
        assert body["errors"] == ["device name is not valid for user"] and body["status"] == 0

        r = await http.post(url, data={"token": token, "user": "u" * 30})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
        assert r.json()["errors"] == ["user key is invalid"]

        r = await http.post(url, data={"token": token, "user": lonely.user_key})
        assert r.status_code == 400 and r.json()["user"] == "invalid"

        r = await http.post(url, data={"token": "t" * 30, "user": a.user_key})
        assert r.status_code == 400 and r.json()["token"] == "invalid"
        assert r.json()["errors"] == ["application token is invalid"]

        group = (await http.post(f"{base_url}/1/groups.json",
                                 data={"token": token, "name": "G"})).json()["group"]
        await http.post(f"{base_url}/1/groups/{group}/add_user.json",
                        data={"token": token, "user": a.user_key, "device": "desk"})
        r = await http.post(url, data={"token": token, "user": group})
        assert r.status_code == 200, r.text
        assert (r.json()["group"], r.json()["devices"]) == (1, ["desk"])
        assert r.json()["licenses"] == ["Desktop"]
