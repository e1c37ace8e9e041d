"""A person in a real browser: sign up, confirm, create an application, receive in /client."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from overpush.settings import Settings
from sqlalchemy import text

from services.runner import Runner
from tests.browser.shots import Shots
from tests.web.helpers import mailed_link

PASSWORD = "browser password 1"


@pytest.mark.timeout(180)
async def test_sign_up_to_desktop_notifications(chromium: Any, shots: Shots, server: Runner,
                                                settings: Settings, base_url: str) -> None:
    context = await chromium.new_context(base_url=base_url)
    await context.grant_permissions(["notifications"], origin=base_url)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Kept in the test's captured output, shown when a step fails.
    page.on("console", lambda msg: print("console:", msg.text))
    page.on("response", lambda r: print("http:", r.status, r.url) if "/1/" in r.url else None)

    # Sign up, and confirm from the mail that was written to the local mail folder.
    await page.goto("/signup")
    await page.get_by_label("E-mail address").fill("pat@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await shots.take(page, "signup")
    await page.get_by_role("button", name="Sign up").click()
    await page.get_by_text("Check your mail").wait_for()
    link = await mailed_link(Path(settings.mail_dir), "pat@example.com", "/confirm/")
    await page.goto(link)
    await page.get_by_text("Address confirmed").wait_for()
    await shots.take(page, "confirmed")

    # Log in and register an application.
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill("pat@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("heading", name="Dashboard").wait_for()
    user_key = (await page.locator("#user-key").inner_text()).strip()
    await page.get_by_label("Name", exact=True).fill("Nightly backups")
    await page.get_by_role("button", name="Create application").click()
    await page.locator("#app-token").wait_for()
    token = (await page.locator("#app-token").inner_text()).strip()
    assert re.fullmatch(r"[A-Za-z0-9]{30}", token)
    await shots.take(page, "application")

    # Open the desktop client, log in and register this browser as a device.
    await page.goto("/client")
    await page.get_by_label("E-mail address").fill("pat@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_label("Device name").fill("chromium")
    await page.get_by_role("button", name="Register").click()
    await page.get_by_text("Connected").wait_for()
    await shots.take(page, "client-connected")

    # A plain HTTP client sends; the message shows up in the list.
    async with httpx.AsyncClient(base_url=base_url) as http:
        r = await http.post("/1/messages.json", data={
            "token": token, "user": user_key, "title": "Backup done",
            "message": "All 3 databases were saved.", "url": "https://example.com/log",
            "url_title": "Open the log", "priority": "1",
        })
        assert r.status_code == 200, r.text
    item = page.locator("#messages li", has_text="All 3 databases were saved.")
    await item.wait_for()
    assert await item.get_by_role("link", name="Open the log").get_attribute("href") == \
        "https://example.com/log"
    assert "high" in (await item.get_attribute("class") or "")
    await shots.take(page, "message-received")

    # The server has nothing left: the client downloaded, then deleted.
    async with server.rt.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM messages"))).scalar() == 0

    # An emergency message shows in red with an Acknowledge button; acknowledging stops it.
    async with httpx.AsyncClient(base_url=base_url) as http:
        r = await http.post("/1/messages.json", data={
            "token": token, "user": user_key, "message": "Disk full on db1",
            "priority": "2", "retry": "30", "expire": "600",
        })
        assert r.status_code == 200, r.text
        receipt = r.json()["receipt"]
        emergency = page.locator("#messages li.emergency", has_text="Disk full on db1")
        await emergency.wait_for()
        await shots.take(page, "emergency")
        await emergency.get_by_role("button", name="Acknowledge").click()
        await emergency.get_by_text("Acknowledged").wait_for()
        await shots.take(page, "acknowledged")
        r = await http.get(f"/1/receipts/{receipt}.json", params={"token": token})
        assert r.json()["acknowledged"] == 1
        assert r.json()["acknowledged_by"] == user_key
        assert r.json()["acknowledged_by_device"] == "chromium"

    # Reload: the messages are still there, from IndexedDB.
    await page.reload()
    await shots.take(page, "reloaded")
    await page.locator("#messages li", has_text="All 3 databases were saved.").wait_for()
    await page.get_by_role("button", name=re.compile(r"Nightly backups \(2\)")).wait_for()
    await page.locator("#messages li.emergency", has_text="Acknowledged").wait_for()
    await shots.take(page, "after-reload")

    # Clear them, after saying yes.
    await page.get_by_role("button", name="Clear these messages").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await page.locator("#messages li").first.wait_for(state="detached")
    await shots.take(page, "cleared")
    assert errors == []
    await context.close()
