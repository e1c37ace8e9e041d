"""A new user's whole path through the pages in headless Chromium, at 1280 and 390 px, light
and dark: sign-up, confirmation, the first-run steps, an application with an icon, a test,
2FA (a wrong code, then the right one), a recovery-code log-in, groups and e-mail. Each page
is checked by PageCheck (overflow, console and CSP, axe-core) and its screenshot kept."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

import pyotp
import pytest
from overpush.settings import Settings
from PIL import Image

from services.runner import Runner
from tests.browser.pagecheck import PageCheck
from tests.web.helpers import mailed_link

PASSWORD = "walk password 1"


def icon_file(tmp_path: Path) -> Path:
    img = Image.new("RGB", (256, 256), (240, 160, 20))
    for x in range(64, 192):
        for y in range(64, 192):
            img.putpixel((x, y), (20, 90, 170))
    path = tmp_path / "icon.png"
    buf = io.BytesIO()
    img.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


async def log_in(page: Any, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()


def step(page: Any, key: str) -> Any:
    return page.locator(f'ol.steps li[data-step="{key}"]')


@pytest.mark.timeout(300)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_a_new_users_path(chromium: Any, server: Runner, settings: Settings,
                                base_url: str, tmp_path: Path, width: int,
                                scheme: str) -> None:
    context = await chromium.new_context(base_url=base_url, color_scheme=scheme,
                                         viewport={"width": width, "height": 900})
    await context.grant_permissions(["notifications"], origin=base_url)
    check = await PageCheck.attach(context, f"{width}-{scheme}")
    page = check.page
    email = f"walker-{width}-{scheme}@example.com"

    # Sign up, then confirm from the mail written to the mail folder.
    await page.goto("/signup")
    await check("signup")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await page.get_by_role("heading", name="Check your mail").wait_for()
    await page.goto(await mailed_link(Path(settings.mail_dir), email, "/confirm/"))
    await page.get_by_role("heading", name="Address confirmed").wait_for()
    await check("confirmed")
    await log_in(page, email)
    await page.get_by_role("heading", name="Dashboard").wait_for()
    await page.get_by_text("0 of 3 done").wait_for()
    await check("dashboard")

    # A test before any device: the error says how to add one.
    await page.get_by_role("button", name="Send test").click()
    alert = page.get_by_role("alert")
    await alert.get_by_text("You have no active device yet").wait_for()
    assert await alert.get_by_role("link", name="How to add a device").count() == 1
    await check("dashboard-no-devices", expect_status=400)

    # Step 1: this browser, through the web client.
    await page.get_by_text("Open the web client", exact=True).click()
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_label("Device name").fill("this-browser")
    await page.get_by_role("button", name="Register").click()
    await page.get_by_text("Connected").wait_for()
    await check("client")
    await page.goto("/")
    assert "done" in (await step(page, "device").get_attribute("class") or "")
    assert "todo" in (await step(page, "app").get_attribute("class") or "")
    await page.locator("#devices td strong", has_text="this-browser").wait_for()

    # Step 2: an application with an icon; a second one of the same name is refused, and a
    # file that is not a picture is explained.
    await page.get_by_label("Name", exact=True).fill("Nightly backups")
    await page.get_by_label("Icon (optional)").set_input_files(str(icon_file(tmp_path)))
    await page.get_by_role("button", name="Create application").click()
    await page.locator("#app-token").wait_for()
    assert re.fullmatch(r"[A-Za-z0-9]{30}", (await page.locator("#app-token").inner_text()))
    await check("app")
    await page.goto("/")
    assert "done" in (await step(page, "app").get_attribute("class") or "")
    await page.get_by_label("Name", exact=True).fill("nightly BACKUPS")
    await page.get_by_role("button", name="Create application").click()
    await page.get_by_role("alert").get_by_text("You already have an application named").wait_for()
    await check("dashboard-duplicate-app", expect_status=400)
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    await page.get_by_label("Name", exact=True).fill("Other")
    await page.get_by_label("Icon (optional)").set_input_files(str(bad))
    await page.get_by_role("button", name="Create application").click()
    problem = await page.get_by_role("alert").inner_text()
    assert "not a picture we can read" in problem and "Error" not in problem
    await check("dashboard-bad-icon", expect_status=400)

    # Step 3: the test names its sender; the path shows complete once.
    await page.goto("/")
    sender = page.get_by_label("Send from")
    assert await sender.locator("option:checked").inner_text() == "Nightly backups"
    await page.get_by_role("button", name="Send test").click()
    await page.get_by_text("Test notification sent").wait_for()
    await page.get_by_text("3 of 3 done").wait_for()
    await check("dashboard-all-set")
    await page.goto("/")
    assert await page.locator("#get-started").count() == 0
    assert await page.locator("ul.apps").get_by_text("Overpush dashboard").count() == 0
    await page.get_by_role("link", name="Nightly backups").click()
    assert (await page.locator("#usage").inner_text()) == "1"
    # The daily counts come from the quota service, a moment after the send.
    for _ in range(50):
        if await page.locator("figure.chart svg rect.bar").last.get_attribute("height") != "0.0":
            break
        await asyncio.sleep(0.1)
        await page.reload()
    assert "1 message in the last 30 days" in await page.locator("figure.chart").inner_text()
    await check("app-with-usage")

    # 2FA: a wrong code keeps the same key on the same page; the right one shows the codes.
    await page.goto("/account")
    await check("account")
    await page.get_by_text("Turn on two-factor authentication", exact=True).click()
    key = (await page.locator("#totp-key").inner_text()).strip()
    await check("twofa-setup")
    await page.get_by_label("Code shown by the app").fill("000000")
    await page.get_by_role("button", name="Turn on").click()
    await page.get_by_role("alert").get_by_text("That code did not match").wait_for()
    assert (await page.locator("#totp-key").inner_text()).strip() == key
    await check("twofa-wrong", expect_status=400)
    await page.get_by_label("Code shown by the app").fill(pyotp.TOTP(key).now())
    await page.get_by_role("button", name="Turn on").click()
    codes = [c.strip() for c in await page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10
    await check("recovery-codes")

    # Log out, and back in with a recovery code instead of the app's code.
    await page.locator("header.site details.dropdown summary").click()
    await page.get_by_role("button", name="Log out").click()
    await log_in(page, email)
    await page.get_by_role("heading", name="Enter your code").wait_for()
    await check("twofa-login")
    await page.get_by_label("Code from your authenticator app").fill(codes[0])
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", name="Dashboard").wait_for()

    # Groups and e-mail addresses.
    await page.get_by_role("link", name="Groups").click()
    await page.get_by_label("Name").fill("On-call team")
    await page.get_by_role("button", name="Create group").click()
    await page.get_by_role("heading", name="On-call team").wait_for()
    user_key = await first_user_key(page)
    await page.get_by_label("User key").fill(user_key)
    await page.get_by_label("Device (optional)").fill("this-browser")
    await page.get_by_label("Memo (optional)").fill("Me, on this browser")
    await page.get_by_role("button", name="Add member").click()
    await page.get_by_text("Me, on this browser").wait_for()
    await check("groups")
    await page.get_by_role("link", name="E-mail", exact=True).click()
    await page.get_by_label("Name before").fill("backups.db1")
    await page.get_by_role("button", name="Add address").click()
    await page.get_by_text("Address saved").wait_for()
    await check("email")

    # An unknown page is a page, with the header of a signed-in user.
    response = await page.goto("/no-such-page")
    assert response is not None and response.status == 404
    await page.get_by_role("heading", name="Page not found").wait_for()
    assert await page.get_by_role("link", name="Groups").count() == 1
    await check("not-found", expect_status=404)
    await context.close()


async def first_user_key(page: Any) -> str:
    """The signed-in user's own key, read from the dashboard in a second tab."""
    other = await page.context.new_page()
    await other.goto("/")
    key = (await other.locator("#user-key").inner_text()).strip()
    await other.close()
    return str(key)
