"""The Monitors page, and an application's status-callback secret, in headless Chromium at
1280 and 390 px, light and dark: heartbeats in each state (waiting, up, down with the reason
an alert failed) and an escalation policy, created through the API; the secret shown and made
anew. Checked by PageCheck (overflow, console and CSP, axe-core); the screenshots are kept
under tests/artifacts/web/monitors/."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from overpush import heartbeats
from overpush.models import App
from overpush.settings import Settings
from sqlalchemy import select

from services.runner import Runner
from tests.browser.pagecheck import PageCheck
from tests.factories import PASSWORD, make_app, make_user, user_with_device


@pytest.mark.timeout(300)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_monitors_page(chromium: Any, server: Runner, settings: Settings,
                             base_url: str, width: int, scheme: str) -> None:
    rt = server.rt
    owner = await make_user(rt, f"monitors-{width}-{scheme}@example.com")
    async with httpx.AsyncClient(timeout=10) as http:
        await user_with_device(rt, base_url, http, "laptop", account=owner)
        token = await make_app(rt, owner, "Nightly jobs")
        keys = []
        for name, period in (("nightly backup", "86400"), ("certificate renewal", "604800"),
                             ("disk check", "300")):
            r = await http.post(f"{base_url}/1/heartbeats.json", data={
                "token": token, "user": owner.user_key, "name": name, "period": period,
                "grace": "600"})
            keys.append(r.json()["heartbeat"])
        await http.get(f"{base_url}/1/heartbeats/{keys[0]}/ping.json")
        levels = [{"user": owner.user_key, "after": 0}, {"user": owner.user_key, "after": 300}]
        r = await http.post(f"{base_url}/1/escalations.json", data={
            "token": token, "name": "database on call", "levels": json.dumps(levels)})
        assert r.status_code == 200, r.text
    # The disk check goes down (its deadline moved into the past) and its alert is refused.
    async with rt.sessions() as session, session.begin():
        hb = await heartbeats.by_key(session, keys[2])
        hb.state, hb.down_at, hb.due_at = "down", rt.clock.now(), None
        hb.alerts, hb.last_error = 1, "monthly message limit reached"

    context = await chromium.new_context(base_url=base_url, color_scheme=scheme,
                                         viewport={"width": width, "height": 900})
    check = await PageCheck.attach(context, f"{width}-{scheme}", "monitors")
    page = check.page
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(owner.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("heading", name="Dashboard").wait_for()
    await page.get_by_role("link", name="Monitors").click()
    await page.get_by_role("heading", name="Monitors", exact=True).wait_for()
    table = page.locator("table").first
    for text in ("nightly backup", "Up", "Waiting for first ping", "Down",
                 "monthly message limit reached"):
        await table.get_by_text(text, exact=True).first.wait_for()
    await page.get_by_text("database on call").wait_for()
    await page.locator(f"#ping-{keys[0]}").wait_for()
    await check("monitors")

    # The application's page shows its status-callback secret; a new one is made on demand.
    await page.goto(f"/apps/{await _app_id(server, token)}")
    secret = page.locator("#status-secret")
    old = await secret.inner_text()
    assert old.startswith("whsec_")
    await check("app-status-secret")
    await page.get_by_role("button", name="Make a new secret").click()
    await page.get_by_text("New signing secret made.").wait_for()
    assert (await secret.inner_text()) not in ("", old)
    await check("app-status-secret-rotated")
    await context.close()


async def _app_id(server: Runner, token: str) -> int:
    async with server.rt.sessions() as session:
        app_id = await session.scalar(select(App.id).where(App.token == token))
    assert app_id is not None
    return int(app_id)
