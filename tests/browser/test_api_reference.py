"""The API reference page (/docs) in headless Chromium at 1280 and 390 px, light and dark:
Swagger UI (served by us) renders /openapi.json under the strict CSP, an operation opens with
its parameters and limits, and PageCheck finds no overflow, console error or axe violation."""

from __future__ import annotations

from typing import Any

import pytest

from services.runner import Runner
from tests.browser.pagecheck import PageCheck


@pytest.mark.timeout(300)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_reference_page(chromium: Any, server: Runner, base_url: str, width: int,
                              scheme: str) -> None:
    context = await chromium.new_context(base_url=base_url, color_scheme=scheme,
                                         viewport={"width": width, "height": 900})
    check = await PageCheck.attach(context, f"{width}-{scheme}")
    page = check.page
    await page.goto("/docs")
    await page.locator(".opblock").first.wait_for(timeout=60_000)
    assert await page.locator(".opblock").count() >= 50  # every operation under /1/
    dark = await page.evaluate("document.documentElement.classList.contains('dark-mode')")
    assert dark == (scheme == "dark")
    await check("api-reference")
    send = page.locator("#operations-Pushover_API-post_1_messages")
    await send.locator(".opblock-summary").first.click()
    await send.get_by_text("the message; HTML when html=1").first.wait_for()
    # The answers' examples are the recorded real ones (services/api/reference/examples.json).
    await send.get_by_text("application token is invalid").first.wait_for()
    await check("api-reference-send")
    await context.close()
