"""A team's invitation as the invited person meets it, in headless Chromium at 1280 and
390 px, light and dark: the card on the dashboard of an existing account, and the page the
mailed link opens for a new account (choose a password, accept). Each page is checked by
PageCheck (overflow, console and CSP, axe-core) and its screenshot kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from overpush.settings import Settings

from services.admin import teams as admin_teams
from services.runner import Runner
from tests.browser.pagecheck import PageCheck
from tests.factories import PASSWORD, make_user
from tests.web.helpers import last_link


@pytest.mark.timeout(300)
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_answering_a_team_invitation(chromium: Any, server: Runner, settings: Settings,
                                           base_url: str, width: int, scheme: str) -> None:
    rt = server.rt
    boss = await make_user(rt)
    team = await admin_teams.create_team(rt, "Platform on-call", boss.email)
    person = await make_user(rt, f"invited-{width}-{scheme}@example.com")
    newbie = f"newbie-{width}-{scheme}@example.com"
    async with httpx.AsyncClient(timeout=10) as http:
        for email in (person.email, newbie):
            r = await http.post(f"{base_url}/1/teams/add_user.json", data={
                "token": team["token"], "email": email, "group": "Night shift"})
            assert r.status_code == 200, r.text
    context = await chromium.new_context(base_url=base_url, color_scheme=scheme,
                                         viewport={"width": width, "height": 900})
    check = await PageCheck.attach(context, f"{width}-{scheme}", folder="teams")
    page = check.page

    # An existing account: the invitation waits on the dashboard.
    await page.goto("/login")
    await page.get_by_label("E-mail address").fill(person.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("heading", name="Invitation to join Platform on-call").wait_for()
    await check("dashboard-invitation")
    await page.get_by_role("button", name="Accept the invitation of Platform on-call").click()
    await page.get_by_text("You joined the team.").wait_for()
    assert await page.get_by_role("heading", name="Invitation to join").count() == 0
    await check("dashboard-joined")
    await context.clear_cookies()

    # A new account: the mailed link asks for a password, then confirms and joins.
    await page.goto(last_link(Path(settings.mail_dir), newbie, "/invitations/"))
    await page.get_by_role("heading", name="Join Platform on-call?").wait_for()
    await check("invitation-link")
    await page.get_by_label("Choose a password").fill("short")
    await page.get_by_label("Choose a password").evaluate("e => e.removeAttribute('minlength')")
    await page.get_by_role("button", name="Accept and join").click()
    await page.get_by_role("alert").wait_for()
    await check("invitation-link-short-password", expect_status=400)
    await page.get_by_label("Choose a password").fill("a good new password")
    await page.get_by_role("button", name="Accept and join").click()
    await page.get_by_role("heading", name="You joined Platform on-call").wait_for()
    await check("invitation-accepted")
    await context.close()
