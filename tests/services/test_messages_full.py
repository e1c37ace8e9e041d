"""Message API completeness: attachments, HTML, TTL, device names and user lists (spec §1)."""

from __future__ import annotations

import base64

import httpx
import pytest
from overpush.attachments import MAX_BYTES
from overpush.models import Attachment, Message
from sqlalchemy import select

from services.runner import Runner
from tests.checks import count
from tests.factories import image_bytes, make_app, make_user, user_with_device


async def test_multipart_attachment_without_type_is_sniffed_stored_and_deleted(
    server: Runner, base_url: str
) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, connect=True)
        other = await user_with_device(rt, base_url, http, name="other")
        token = await make_app(rt, await make_user(rt))
        png = image_bytes("PNG")
        r = await http.post(f"{base_url}/1/messages.json",
                            data={"token": token, "user": dev.user_key, "message": "pic"},
                            files={"attachment": ("upload", png, "application/octet-stream")})
        assert r.status_code == 200, r.text
        assert await dev.frame_other_than_keepalive() == b"!"
        [m] = await dev.download(http)
        assert m["attachment_type"] == "image/png"
        assert m["attachment"].startswith(base_url) and m["attachment"].endswith(".png")
        got = await http.get(m["attachment"],
                             params={"secret": dev.secret, "device_id": dev.device_id})
        assert got.status_code == 200 and got.content == png
        assert got.headers["content-type"] == "image/png"
        # Another user's device may not fetch it.
        denied = await http.get(m["attachment"],
                                params={"secret": other.secret, "device_id": other.device_id})
        assert denied.status_code == 404 and denied.json()["attachment"] == "not found"
        assert await count(server.rt, Attachment) == 1
        await dev.delete_up_to(http, m["id"])
        assert await count(server.rt, Attachment) == 0
        assert await count(server.rt, Message) == 0
        await dev.close()


async def test_base64_attachment_with_declared_type_and_group_of_recipients_shares_one_copy(
    server: Runner, base_url: str
) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        a = await user_with_device(rt, base_url, http, connect=True)
        b = await user_with_device(rt, base_url, http, connect=True)
        token = await make_app(rt, await make_user(rt))
        jpeg = image_bytes("JPEG")
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": f"{a.user_key},{b.user_key}", "message": "jpeg",
            "attachment_base64": base64.b64encode(jpeg).decode(),
            "attachment_type": "image/png",  # wrong on purpose: the bytes decide
        })
        assert r.status_code == 200, r.text
        assert r.headers["X-Limit-App-Remaining"] == "7498"
        assert await count(server.rt, Attachment) == 1
        for dev in (a, b):
            assert await dev.frame_other_than_keepalive() == b"!"
            [m] = await dev.download(http)
            assert m["attachment_type"] == "image/jpeg"
            got = await http.get(m["attachment"],
                                 params={"secret": dev.secret, "device_id": dev.device_id})
            assert got.content == jpeg
        await a.sync(http)
        assert await count(server.rt, Attachment) == 1  # b still waits for it
        await b.sync(http)
        assert await count(server.rt, Attachment) == 0
        await a.close()
        await b.close()


@pytest.mark.parametrize("settings", ["single"], indirect=True)
async def test_bad_attachments_are_refused_with_the_attachment_field(
    server: Runner, base_url: str
) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=30) as http:
        dev = await user_with_device(rt, base_url, http)
        token = await make_app(rt, await make_user(rt))
        base = {"token": token, "user": dev.user_key, "message": "x"}
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        too_big = image_bytes("PNG")[:64] + b"\0" * MAX_BYTES
        cases = [
            ({"attachment": ("a.svg", svg, "image/svg+xml")}, {}, "JPEG, PNG"),
            ({"attachment": ("a.png", b"%PDF-1.4 not an image", None)}, {}, "JPEG, PNG"),
            ({"attachment": ("a.png", image_bytes("PNG")[:40], "image/png")}, {}, "JPEG, PNG"),
            ({"attachment": ("a.png", too_big, "image/png")}, {}, "5242880"),
            ({}, {"attachment_base64": "***", "attachment_type": "image/png"}, "Base64"),
        ]
        for files, extra, text in cases:
            r = await http.post(f"{base_url}/1/messages.json", data={**base, **extra},
                                files=files or None)
            assert r.status_code == 400, r.text
            body = r.json()
            assert body["attachment"] == "invalid" and text in body["errors"][0], body
            assert body["status"] == 0 and body["request"]
            assert r.headers["X-Limit-App-Remaining"] == "7500"  # on refusals too
        assert await count(server.rt, Message) == 0


@pytest.mark.parametrize("settings", ["single"], indirect=True)
async def test_html_is_sanitised_and_monospace_conflicts(server: Runner, base_url: str) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, connect=True)
        token = await make_app(rt, await make_user(rt))
        dirty = ('<b>bold</b> <i>i</i> <u>u</u><br><font color="#ff0000" size="9">red</font> '
                 '<a href="https://example.com" onclick="x()">link</a>'
                 '<a href="javascript:alert(1)">js</a><script>alert(1)</script><img src=x>')
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": dev.user_key, "message": dirty, "html": "1"})
        assert r.status_code == 200, r.text
        [m] = await dev.receive(http)
        assert m["html"] == 1
        assert m["message"] == (
            '<b>bold</b> <i>i</i> <u>u</u><br><font color="#ff0000">red</font> '
            '<a href="https://example.com" rel="noopener noreferrer nofollow">link</a>'
            '<a rel="noopener noreferrer nofollow">js</a>'
        )
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": dev.user_key, "message": "<b>x</b>", "html": "False"})
        [m] = await dev.receive(http)
        assert m["html"] == 0 and m["message"] == "<b>x</b>"  # not HTML: kept verbatim
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": dev.user_key, "message": "x", "html": "1",
            "monospace": "1"})
        assert r.status_code == 400 and r.json()["monospace"] == "invalid"
        await dev.close()


@pytest.mark.parametrize("settings", ["single"], indirect=True)
async def test_expired_ttl_is_never_shown_and_is_removed(server: Runner, base_url: str) -> None:
    from datetime import timedelta

    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, connect=True)
        token = await make_app(rt, await make_user(rt))
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": dev.user_key, "message": "short-lived", "ttl": "60",
            "attachment_base64": base64.b64encode(image_bytes("GIF")).decode(),
            "attachment_type": "image/gif"})
        assert r.status_code == 200, r.text
        assert await dev.frame_other_than_keepalive() == b"!"
        async with rt.sessions() as s, s.begin():  # the message is now past its ttl
            for m in (await s.scalars(select(Message))).all():
                m.expires_at = m.created_at - timedelta(seconds=1)
        assert await dev.download(http) == []
        assert await count(server.rt, Message) == 0
        assert await count(server.rt, Attachment) == 0
        await dev.close()


@pytest.mark.parametrize("settings", ["single"], indirect=True)
async def test_unknown_device_name_and_fifty_users(server: Runner, base_url: str) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, name="laptop", connect=True)
        token = await make_app(rt, await make_user(rt))
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": dev.user_key, "message": "m", "device": "nosuch"})
        assert r.status_code == 200, r.text
        assert [m["message"] for m in await dev.receive(http)] == ["m"]
        keys = [dev.user_key] + [f"u{i:029d}" for i in range(50)]
        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": ",".join(keys), "message": "m"})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
        assert "at most 50" in r.json()["errors"][0]
        await dev.close()
