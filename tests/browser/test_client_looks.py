"""/client looked at: 1280 and 390 px wide, light and dark, with every kind of message (plain
text with a link, the HTML subset, an image, high, low and emergency priority), the settings
open, and the log-in page. Each view is checked by PageCheck (no horizontal overflow, no
console errors or CSP violations, no serious accessibility problems) and its screenshot kept
in tests/artifacts/web/client/."""

from __future__ import annotations

from typing import Any

import pytest

from services.runner import Runner
from tests.browser.client_kit import open_client, sender
from tests.browser.pagecheck import PageCheck, fresh_folder

VARIANTS = [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]


@pytest.mark.timeout(300)
async def test_client_at_two_widths_light_and_dark(chromium: Any, server: Runner,
                                                   base_url: str) -> None:
    fresh_folder("client")
    who = await sender(server.rt, base_url)
    for width, scheme in VARIANTS:
        context = await chromium.new_context(base_url=base_url, color_scheme=scheme,
                                             viewport={"width": width, "height": 900})
        check = await PageCheck.attach(context, f"{width}-{scheme}", folder="client")
        page = check.page
        await open_client(page, who, device=f"b{width}{scheme}")
        await check("empty")
        await who.send(title="Backup done", message="All 3 databases were saved. Log: "
                       "https://example.com/logs/2026-11-30/nightly-backup-of-every-database")
        # (no <font color>: a sender's colour is theirs, and no one colour reads on both themes)
        await who.send(title="Formatted", html=1, message='<b>Bold</b>, <i>italic</i> and '
                       '<u>underlined</u>, with <a href="https://example.com">a link</a>')
        await who.send(title="Camera", message="Someone at the door", image=True, priority=1)
        await who.send(message="Nightly report is ready", priority=-1)
        await who.send(title="Disk full", message="db1 is at 100 %", priority=2, retry=30,
                       expire=600, url="https://example.com/db1", url_title="Open db1")
        await page.locator("#messages li").nth(4).wait_for()
        await page.locator("#messages li img.attachment").wait_for()
        await page.locator("#messages li").nth(4).click()  # a click turns sound on
        await check("messages")
        await page.locator("#settings summary").click()
        await page.get_by_role("button", name="Save key").scroll_into_view_if_needed()
        await check("settings")
        await page.get_by_role("button", name="Log out of this browser").click()
        await page.get_by_role("heading", name="Log in to receive notifications").wait_for()
        await check("login")
        await context.close()
