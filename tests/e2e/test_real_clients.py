"""The published clients, unchanged but for the base URL, against a running server:
pushover-complete (its PushoverAPI, with the module's URL constant patched) and apprise (its
Pushover plugin, with the instance's notify_url pointed at us). Both are synchronous (requests),
so they run in a worker thread while the in-process server serves them.

Receipts and priority 2 through both clients: test_real_clients_emergency.py. Not covered:
licences and subscriptions (not part of the Sending API).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apprise
import httpx
import pytest
from pushover_complete import PushoverAPI
from pushover_complete.error import BadAPIRequestError

from services.admin import accounts as admin
from services.runner import Runner
from tests.factories import PASSWORD, Account, image_bytes, make_app, make_user, user_with_device

# apprise loads the standard library's deprecated imghdr to guess attachment types.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.mark.timeout(180)
async def test_pushover_complete(server: Runner, base_url: str, tmp_path: Path,
                                 pushover_complete: type[PushoverAPI]) -> None:
    rt = server.rt
    token = await make_app(rt, await make_user(rt), name="Backups")
    (tmp_path / "bell.mp3").write_bytes(b"ID3\x04\x00" + b"\0" * 64)
    await admin.add_sound(rt, token, "doorbell", str(tmp_path / "bell.mp3"), "Door bell")
    api = pushover_complete(token)

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return asyncio.to_thread(fn, *args, **kwargs)

    async with httpx.AsyncClient(timeout=10) as http:
        laptop = await user_with_device(rt, base_url, http, name="laptop", connect=True)
        phone = await user_with_device(rt, base_url, http, name="phone", connect=True,
                                       account=Account(laptop.email, "", PASSWORD))
        other = await user_with_device(rt, base_url, http, connect=True)

        checked = await call(api.validate, laptop.user_key)
        assert checked["devices"] == ["laptop", "phone"] and checked["group"] == 0
        assert (await call(api.validate, laptop.user_key, "phone"))["status"] == 1
        with pytest.raises(BadAPIRequestError, match="device name is not valid"):
            await call(api.validate, laptop.user_key, "watch")

        sounds = await call(api.get_sounds)
        assert sounds["doorbell"] == "Door bell" and sounds["pushover"] == "Pushover (default)"

        (tmp_path / "chart.png").write_bytes(png := image_bytes("PNG"))
        sent = await call(api.send_message, laptop.user_key, "<b>backup</b> done",
                          device=["laptop"], title="Backup", url="https://example.com/log",
                          url_title="Log", image=str(tmp_path / "chart.png"), priority=1,
                          sound="doorbell", html=True, ttl=3600, timestamp=1_700_000_000)
        assert sent["status"] == 1 and len(sent["request"]) == 36
        [m] = await laptop.receive(http)
        assert (m["message"], m["html"], m["title"], m["priority"], m["sound"]) == (
            "<b>backup</b> done", 1, "Backup", 1, "doorbell")
        assert (m["url"], m["url_title"], m["date"]) == ("https://example.com/log", "Log",
                                                        1_700_000_000)
        assert m["attachment_type"] == "image/png" and m["attachment_bytes"] == png
        assert await phone.download(http) == []  # only the named device

        # Default html=False arrives as the string "False": plain text, to every device.
        await call(api.send_message, laptop.user_key, "<b>plain</b>")
        for dev in (laptop, phone):
            [m] = await dev.receive(http)
            assert (m["message"], m["html"]) == ("<b>plain</b>", 0)
        with pytest.raises(BadAPIRequestError, match="sound"):
            await call(api.send_message, laptop.user_key, "x", sound="nosuch")

        # Groups: pushover-complete has no create call; the rest goes through it.
        r = await http.post(f"{base_url}/1/groups.json", data={"token": token, "name": "Ops"})
        group = r.json()["group"]
        await call(api.group_add_user, group, laptop.user_key, device="phone", memo="on call")
        await call(api.group_add_user, group, other.user_key)
        await call(api.group_disable_user, group, other.user_key)
        await call(api.group_enable_user, group, other.user_key)
        await call(api.group_rename, group, "Operations")
        info = await call(api.group_info, group)
        assert info["name"] == "Operations" and len(info["users"]) == 2
        assert (await call(api.validate, group))["group"] == 1
        await call(api.send_message, group, "to the group")
        assert [m["message"] for m in await phone.receive(http)] == ["to the group"]
        assert [m["message"] for m in await other.receive(http)] == ["to the group"]
        await call(api.group_delete_user, group, other.user_key)
        assert len((await call(api.group_info, group))["users"]) == 1
        for dev in (laptop, phone, other):
            await dev.close()


@pytest.mark.timeout(180)
async def test_apprise(server: Runner, base_url: str, tmp_path: Path,
                       apprise_send: Callable[..., bool]) -> None:
    rt = server.rt
    token = await make_app(rt, await make_user(rt), name="Monitor")
    notify_url = f"{base_url}/1/messages.json"
    async with httpx.AsyncClient(timeout=10) as http:
        laptop = await user_with_device(rt, base_url, http, name="laptop", connect=True)
        phone = await user_with_device(rt, base_url, http, name="phone", connect=True,
                                       account=Account(laptop.email, "", PASSWORD))
        member = await user_with_device(rt, base_url, http, connect=True)
        r = await http.post(f"{base_url}/1/groups.json", data={"token": token, "name": "G"})
        group = r.json()["group"]
        await http.post(f"{base_url}/1/groups/{group}/add_user.json",
                        data={"token": token, "user": member.user_key})

        # No device configured: apprise sends device=ALL_DEVICES.
        url = f"pover://{laptop.user_key}@{token}?priority=high&sound=bike"
        assert await asyncio.to_thread(apprise_send, url, notify_url, body="disk full",
                                       title="Alert")
        for dev in (laptop, phone):
            [m] = await dev.receive(http)
            assert (m["message"], m["title"], m["priority"], m["sound"]) == (
                "disk full", "Alert", 1, "bike")

        # A named device, a supplemental URL, HTML, and an image attachment.
        (tmp_path / "graph.jpg").write_bytes(jpeg := image_bytes("JPEG"))
        url = (f"pover://{laptop.user_key}@{token}/phone?url=https://example.com/x"
               f"&url_title=Graph")
        attach = apprise.AppriseAttachment(str(tmp_path / "graph.jpg"))
        assert await asyncio.to_thread(
            apprise_send, url, notify_url, body="<i>load</i> high", title="CPU",
            body_format=apprise.NotifyFormat.HTML, attach=attach)
        [m] = await phone.receive(http)
        assert (m["message"], m["html"], m["url"], m["url_title"]) == (
            "<i>load</i> high", 1, "https://example.com/x", "Graph")
        assert m["attachment_type"] == "image/jpeg" and m["attachment_bytes"] == jpeg
        assert await laptop.download(http) == []

        # A group target (#key).
        url = f"pover://{laptop.user_key}@{token}/%23{group}"
        assert await asyncio.to_thread(apprise_send, url, notify_url, body="to the group")
        assert [m["message"] for m in await member.receive(http)] == ["to the group"]

        # Errors come back as a failed notify, not a crash.
        url = f"pover://{'u' * 30}@{token}"
        assert not await asyncio.to_thread(apprise_send, url, notify_url, body="x")
        for dev in (laptop, phone, member):
            await dev.close()
