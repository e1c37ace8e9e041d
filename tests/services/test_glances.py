"""Glances (spec §7): stored per user and device, pushed with '!', fetched by the device."""

from __future__ import annotations

import httpx

from services.runner import Runner
from testkit.device import DesktopDevice
from tests.factories import PASSWORD, Account, make_app, make_user, user_with_device


async def test_glance_is_stored_pushed_and_fetched(server: Runner, base_url: str) -> None:
    rt = server.rt
    url = f"{base_url}/1/glances.json"
    async with httpx.AsyncClient(timeout=10) as http:
        token = await make_app(rt, await make_user(rt))
        watch = await user_with_device(rt, base_url, http, name="watch", connect=True)
        desk = await user_with_device(rt, base_url, http, name="desk", connect=True,
                                      account=Account(watch.email, "", PASSWORD))

        async def fetch(dev: DesktopDevice) -> object:
            r = await http.get(url, params={"secret": dev.secret, "device_id": dev.device_id})
            assert r.status_code == 200, r.text
            return r.json()["glance"]

        assert await fetch(watch) is None
        r = await http.post(url, data={"token": token, "user": watch.user_key,
                                       "title": "Backups", "text": "3 of 4 done",
                                       "count": "3", "percent": "75"})
        assert r.status_code == 200 and r.json()["status"] == 1, r.text
        for dev in (watch, desk):
            assert await dev.frame_other_than_keepalive() == b"!"
        g = await fetch(desk)
        assert isinstance(g, dict)
        assert (g["title"], g["text"], g["subtext"], g["count"], g["percent"]) == (
            "Backups", "3 of 4 done", None, 3, 75)

        # To one device by name; an empty field clears it, absent fields stay.
        r = await http.post(url, data={"token": token, "user": watch.user_key,
                                       "device": "watch", "percent": "100", "text": ""})
        assert r.status_code == 200, r.text
        assert await watch.frame_other_than_keepalive() == b"!"
        g = await fetch(watch)
        assert isinstance(g, dict) and (g["percent"], g["text"]) == (100, None)
        g = await fetch(desk)
        assert isinstance(g, dict) and g["percent"] == 75  # the user's glance is unchanged

        for data, key in (({}, "errors"), ({"percent": "101"}, "percent"),
                          ({"count": "x"}, "count"), ({"title": "t" * 101}, "title")):
            r = await http.post(url, data={"token": token, "user": watch.user_key, **data})
            assert r.status_code == 400 and key in r.json(), r.text
        r = await http.post(url, data={"token": token, "user": "u" * 30, "text": "x"})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
        await watch.close()
        await desk.close()
