"""The pages the new user's walk (test_web_face.py) passes by or never opens, in headless
Chromium at 1280 and 390 px, light and dark: the log-in page, "check your mail" after sign-up,
the password reset (request, mailed link, new password), an application's clone and
subscription pages, a method a page does not take (an HTML 405), and the Copy button of the
user key (what it puts on the clipboard). Each is checked by PageCheck (overflow, console and
CSP, axe-core) and its screenshot kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from overpush.settings import Settings

from services.admin import subscriptions as admin_subscriptions
from services.runner import Runner
from tests.browser.pagecheck import PageCheck
from tests.factories import make_app, make_user
from tests.web.helpers import mailed_link

PASSWORD = "walk password 1"
NEW_PASSWORD = "another password 2"


async def sign_up(page: Any, check: PageCheck, settings: Settings, email: str) -> None:
    await page.goto("/signup")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await page.get_by_role("heading", name="Check your mail").wait_for()
    await check("signup-check-mail")
    await page.goto(await mailed_link(Path(settings.mail_dir), email, "/confirm/"))
    await page.get_by_role("heading", name="Address confirmed").wait_for()


async def reset_password(page: Any, check: PageCheck, settings: Settings, email: str) -> None:
    await page.goto("/reset")
    await check("reset-request")
    await page.get_by_label("E-mail address of the account").fill(email)
    await page.get_by_role("button", name="Send a reset link").click()
    await page.get_by_role("heading", name="Check your mail").wait_for()
    await check("reset-sent")
    link = await mailed_link(Path(settings.mail_dir), email, "/reset/")
    await page.goto(link[link.index("/reset/"):])
    await check("reset-form")
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    await page.get_by_role("heading", name="Password changed").wait_for()
    await check("reset-done")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_other_pages(chromium: Any, server: Runner, settings: Settings,
                               base_url: str, width: int, scheme: str) -> None:
    context = await chromium.new_context(base_url=base_url, color_scheme=scheme,
                                         viewport={"width": width, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    check = await PageCheck.attach(context, f"{width}-{scheme}", folder="after/more")
    page = check.page
    email = f"visitor-{width}-{scheme}@example.com"
    await sign_up(page, check, settings, email)
    await reset_password(page, check, settings, email)

    await page.goto("/login")
    await check("login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("heading", name="Dashboard").wait_for()

    # The user key's Copy button puts exactly the key on the clipboard, and says so.
    key = (await page.locator("#user-key").inner_text()).strip()
    button = page.locator('button[data-copy="user-key"]')
    assert await button.get_attribute("aria-label") == "Copy user key"
    await button.click()
    await page.get_by_text("Copied to the clipboard.").wait_for(state="attached")
    assert await button.inner_text() == "Copied"
    assert await button.get_attribute("aria-label") == "Copied user key"
    assert await page.evaluate("navigator.clipboard.readText()") == key
    await check("dashboard-copied")

    # Another person's application, offered as a clone and as a subscription.
    owner = await make_user(server.rt)
    token = await make_app(server.rt, owner, "Weather alerts")
    clone = (await admin_subscriptions.make_cloneable(server.rt, token))["url"]
    await page.goto(clone.removeprefix(base_url))
    await page.get_by_role("heading", name="Get your own Weather alerts token").wait_for()
    await check("clone")
    await page.get_by_role("button", name="Create my application").click()
    await page.get_by_role("heading", name="Your Weather alerts application").wait_for()
    assert len((await page.locator("#notice-value").inner_text()).strip()) == 30
    await check("clone-done")
    offer = await admin_subscriptions.offer_subscriptions(server.rt, token)
    await page.goto(offer["url"].removeprefix(base_url))
    await page.get_by_role("heading", name="Subscribe to Weather alerts").wait_for()
    await check("subscribe")
    await page.get_by_role("button", name="Subscribe").click()
    await page.get_by_role("heading", name="Subscribed to Weather alerts").wait_for()
    await check("subscribed")
    await page.goto(offer["url"].removeprefix(base_url))  # again: now it can be undone
    await page.get_by_role("button", name="Unsubscribe").wait_for()
    await check("subscribe-again")

    # A form's address opened as a link: a page that says what to do, not JSON.
    response = await page.goto("/logout")
    assert response is not None and response.status == 405
    await page.get_by_role("heading", name="Not possible here").wait_for()
    await check("method-not-allowed", expect_status=405)
    await context.close()
