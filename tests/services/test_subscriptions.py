"""Subscriptions and clone links: the page, the key only its application may use, revoking
it, migrate.json, per-subscription sounds, and cloning an application."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
from overpush.models import App
from sqlalchemy import select

from services.admin import subscriptions as admin_subscriptions
from services.runner import Runner
from tests.factories import PASSWORD, make_app, make_user, user_with_device
from tests.web.helpers import Browser


async def test_subscription_key_works_only_for_its_application(server: Runner,
                                                               base_url: str) -> None:
    rt = server.rt
    owner = await make_user(rt)
    token, other = await make_app(rt, owner, "Feeds"), await make_app(rt, owner, "Other")
    offer = await admin_subscriptions.offer_subscriptions(rt, token)
    code = offer["subscription"]
    page = f"/subscribe/{code}?success=https://example.com/done%3Fx%3D1"
    browser = Browser(base_url)
    async with httpx.AsyncClient(timeout=10) as http:
        dee = await user_with_device(rt, base_url, http, connect=True)
        r = await browser.get(page)
        assert r.status_code == 200 and "Log in first" in r.text
        assert (await browser.log_in(dee.email, PASSWORD)).status_code == 303
        assert "Subscribe to Feeds" in (await browser.get(page)).text
        assert (await browser.get("/subscribe/nothing")).status_code == 404

        r = await browser.submit(page, f"/subscribe/{code}",
                                 {"success": "https://example.com/done?x=1", "sound": "siren"})
        assert r.status_code == 303
        target = urlsplit(r.headers["location"])
        assert (target.netloc, target.path) == ("example.com", "/done")
        query = parse_qs(target.query)
        assert query["x"] == ["1"]
        [key] = query["pushover_user_key"]
        assert len(key) == 30 and key != dee.user_key

        send = f"{base_url}/1/messages.json"
        r = await http.post(send, data={"token": token, "user": key, "message": "news"})
        assert r.status_code == 200, r.text
        [m] = await dee.receive(http)
        assert (m["message"], m["sound"]) == ("news", "siren")
        r = await http.post(send, data={"token": other, "user": key, "message": "spam"})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
        check = f"{base_url}/1/users/validate.json"
        r = await http.post(check, data={"token": token, "user": key})
        assert r.status_code == 200 and r.json()["devices"] == ["desktop"]
        r = await http.post(check, data={"token": other, "user": key})
        assert r.status_code == 400

        migrate = f"{base_url}/1/subscriptions/migrate.json"
        r = await http.post(migrate, data={"token": token, "subscription": "wrong",
                                           "user": dee.user_key})
        assert r.status_code == 400 and r.json()["errors"] == ["subscription code is invalid"]
        r = await http.post(migrate, data={"token": other, "subscription": code,
                                           "user": dee.user_key})
        assert r.status_code == 400 and r.json()["subscription"] == "invalid"
        r = await http.post(migrate, data={"token": token, "subscription": code,
                                           "user": dee.user_key, "sound": "bugle"})
        assert r.status_code == 200 and r.json()["subscribed_user_key"] == key
        r = await http.post(send, data={"token": token, "user": key, "message": "again"})
        assert r.status_code == 200
        [m] = await dee.receive(http)
        assert m["sound"] == "bugle"

        r = await browser.submit(page, f"/subscribe/{code}/unsubscribe", {})
        assert r.status_code == 200 and "no longer works" in r.text
        r = await http.post(send, data={"token": token, "user": key, "message": "gone"})
        assert r.status_code == 400 and r.json()["user"] == "invalid"
        await dee.close()
    await browser.close()


async def test_clone_link_gives_the_visitor_a_copy(server: Runner, base_url: str) -> None:
    rt = server.rt
    owner, visitor = await make_user(rt), await make_user(rt)
    token = await make_app(rt, owner, "NzbThing")
    async with rt.sessions() as session, session.begin():
        app = await session.scalar(select(App).where(App.token == token))
        assert app is not None
        app.description, app.url = "Downloads things", "https://nzb.example"
    link = (await admin_subscriptions.make_cloneable(rt, token))["url"]
    path = urlsplit(link).path
    browser = Browser(base_url)
    assert (await browser.get(path)).status_code == 303  # log in first
    assert (await browser.log_in(visitor.email, PASSWORD)).status_code == 303
    r = await browser.submit(path, path, {})
    assert r.status_code == 200
    found = re.search(r'<code id="notice-value">([A-Za-z0-9]{30})</code>', r.text)
    assert found and found.group(1) != token
    async with rt.sessions() as session:
        copy = await session.scalar(select(App).where(App.token == found.group(1)))
    assert copy is not None
    assert (copy.name, copy.description, copy.url) == (
        "NzbThing", "Downloads things", "https://nzb.example")
    await browser.close()
