"""Security of accounts in the browser (issue 14 items 1, 3, 4, 5, 10), on both backends; the
tests of one-time codes and of idle sessions run on a fixed clock."""

from __future__ import annotations

import email
import re
from pathlib import Path

import httpx
import pyotp
from overpush.models import App, ClientSession, Device, User, WebSession
from overpush.settings import Settings
from sqlalchemy import func, select, update

from services.runner import Runner
from testkit.device import DesktopDevice
from testkit.servers import running
from tests.waiting import until
from tests.web.conftest import Clocked
from tests.web.helpers import (
    PASSWORD,
    VIEWER,
    Browser,
    mailed_link,
    problem_of,
    signed_in_as,
)

KEY = re.compile(r'<code id="totp-key">([A-Z2-7]+)</code>')


async def turn_on_2fa(c: Clocked) -> pyotp.TOTP:
    found = KEY.search((await c.browser.get("/settings/2fa")).text)
    assert found
    totp = pyotp.TOTP(found.group(1))
    r = await c.browser.submit("/settings/2fa", "/settings/2fa",
                               {"code": totp.at(c.clock.now())})
    assert r.status_code == 200 and "Your recovery codes" in r.text
    return totp


async def device_of_viewer(http: httpx.AsyncClient, base_url: str,
                           name: str = "laptop") -> DesktopDevice:
    dev = DesktopDevice(base_url, VIEWER, PASSWORD, name=name)
    await dev.login(http)
    await dev.register(http)
    return dev


async def counts(server: Runner) -> tuple[int, int, int]:
    """The viewer's (browser sessions, device secrets, devices)."""
    async with server.rt.sessions() as s:
        uid = await s.scalar(select(User.id).where(User.email == VIEWER))
        return tuple([int(await s.scalar(select(func.count()).select_from(t).where(
            t.user_id == uid)) or 0) for t in (WebSession, ClientSession, Device)])  # type: ignore


# Item 1 -----------------------------------------------------------------------------------

async def test_web_second_step_is_throttled_and_codes_work_once(
        clocked: Clocked, base_url: str) -> None:
    c = clocked
    totp = await turn_on_2fa(c)
    await c.browser.submit("/", "/logout", {})
    # The code that turned 2FA on is spent: it does not log in.
    await c.browser.log_in(VIEWER, PASSWORD)
    r = await c.browser.submit("/login/2fa", "/login/2fa", {"code": totp.at(c.clock.now())})
    assert r.status_code == 400
    limit = c.server.rt.settings.twofa_failures_per_session
    for _ in range(limit - 1):
        r = await c.browser.submit("/login/2fa", "/login/2fa", {"code": "000000"})
        assert r.status_code == 400
    c.clock.advance(30)
    # Over the limit, even the right (fresh) code is refused in this session.
    r = await c.browser.submit("/login/2fa", "/login/2fa", {"code": totp.at(c.clock.now())})
    assert r.status_code == 429 and "Too many wrong codes" in r.text

    # Another browser may still log in, with that code, once; a third cannot reuse it.
    other, third = Browser(base_url), Browser(base_url)
    try:
        await other.log_in(VIEWER, PASSWORD)
        r = await other.submit("/login/2fa", "/login/2fa", {"code": totp.at(c.clock.now())})
        assert r.status_code == 303 and (await other.get("/")).status_code == 200
        await third.log_in(VIEWER, PASSWORD)
        r = await third.submit("/login/2fa", "/login/2fa", {"code": totp.at(c.clock.now())})
        assert r.status_code == 400
    finally:
        await other.close()
        await third.close()


async def test_the_account_limit_holds_across_sessions(clocked: Clocked, base_url: str) -> None:
    c = clocked
    totp = await turn_on_2fa(c)
    per_account = c.server.rt.settings.twofa_failures_per_account
    per_session = c.server.rt.settings.twofa_failures_per_session
    browsers = [Browser(base_url) for _ in range(-(-per_account // per_session) + 1)]
    try:
        wrong = 0
        for b in browsers[:-1]:
            await b.log_in(VIEWER, PASSWORD)
            for _ in range(min(per_session, per_account - wrong)):
                await b.submit("/login/2fa", "/login/2fa", {"code": "000000"})
                wrong += 1
        last = browsers[-1]
        await last.log_in(VIEWER, PASSWORD)
        c.clock.advance(30)
        r = await last.submit("/login/2fa", "/login/2fa", {"code": totp.at(c.clock.now())})
        assert r.status_code == 429  # a fresh session, but the account's limit is reached
    finally:
        for b in browsers:
            await b.close()


# Item 3 -----------------------------------------------------------------------------------

async def test_an_idle_browser_session_ends(clocked: Clocked) -> None:
    c = clocked
    idle = c.server.rt.settings.web_session_idle_minutes * 60
    c.clock.advance(idle - 120)
    assert (await c.browser.get("/")).status_code == 200  # used: the idle time starts again
    c.clock.advance(idle - 120)
    assert (await c.browser.get("/")).status_code == 200
    c.clock.advance(idle + 1)
    r = await c.browser.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_turning_2fa_on_and_off_revokes_the_rest(
        clocked: Clocked, base_url: str, http: httpx.AsyncClient, mail_dir: Path) -> None:
    c = clocked
    elsewhere = Browser(base_url)
    try:
        assert (await elsewhere.log_in(VIEWER, PASSWORD)).status_code == 303
        laptop = await device_of_viewer(http, base_url)
        await laptop.connect()
        assert await counts(c.server) == (2, 1, 1)
        totp = await turn_on_2fa(c)
        assert await laptop.frame_other_than_keepalive() == b"E"
        await laptop.close()
        assert await counts(c.server) == (1, 0, 0)  # this browser only
        assert (await elsewhere.get("/")).status_code == 303

        c.clock.advance(30)
        laptop = DesktopDevice(base_url, VIEWER, PASSWORD, name="laptop")
        r = await http.post(f"{base_url}/1/users/login.json", data={
            "email": VIEWER, "password": PASSWORD, "twofa": totp.at(c.clock.now())})
        laptop.secret = r.json()["secret"]
        await laptop.register(http)
        c.clock.advance(30)
        r = await c.browser.submit("/account", "/settings/2fa/disable",
                                   {"code": totp.at(c.clock.now())})
        assert r.status_code == 303
        assert await counts(c.server) == (1, 0, 0)
    finally:
        await elsewhere.close()


async def test_a_password_change_revokes_other_sessions_and_devices(
        signed_in: Browser, server: Runner, base_url: str, http: httpx.AsyncClient) -> None:
    other = Browser(base_url)
    try:
        await other.log_in(VIEWER, PASSWORD)
        laptop = await device_of_viewer(http, base_url)
        await laptop.connect()
        r = await signed_in.submit("/account", "/settings/password",
                                   {"current": "not it at all", "password": "new password 1"})
        assert "not your current password" in problem_of(r)
        assert await counts(server) == (2, 1, 1)
        r = await signed_in.submit("/account", "/settings/password",
                                   {"current": PASSWORD, "password": "new password 1"})
        assert r.status_code == 303 and "password_changed" in r.headers["location"]
        assert await laptop.frame_other_than_keepalive() == b"E"
        await laptop.close()
        assert await counts(server) == (1, 0, 0)
        assert (await signed_in.get("/account")).status_code == 200  # this one stays
        assert (await other.get("/account")).status_code == 303
    finally:
        await other.close()


async def test_pre_account_takeover_ends_when_the_owner_resets(
        browser: Browser, server: Runner, mail_dir: Path, base_url: str,
        http: httpx.AsyncClient) -> None:
    """The squatter signs up with the owner's address and never confirms: no secret, so no
    device. Had they one (an account confirmed before the owner reset), the reset ends it."""
    r = await browser.submit("/signup", "/signup",
                             {"email": "owner@example.com", "password": "squatter pass"})
    assert r.status_code == 200
    r = await http.post(f"{base_url}/1/users/login.json", data={
        "email": "owner@example.com", "password": "squatter pass"})
    assert r.status_code == 400 and r.json()["email"] == "unconfirmed"

    owner = Browser(base_url)
    try:
        await owner.submit("/reset", "/reset", {"email": "Owner@Example.com"})
        link = await mailed_link(mail_dir, "owner@example.com", "/reset/")
        path = link.split(base_url, 1)[1]
        r = await owner.submit(path, path, {"password": "owner's own password"})
        assert r.status_code == 200 and "Password changed" in r.text
        # The reset proved the address: the owner's account works, the squatter's password
        # does not.
        assert (await owner.log_in("owner@example.com", "owner's own password")
                ).status_code == 303
        r = await http.post(f"{base_url}/1/users/login.json", data={
            "email": "owner@example.com", "password": "squatter pass"})
        assert r.status_code == 400
    finally:
        await owner.close()


# Item 10 ----------------------------------------------------------------------------------

async def test_sign_up_answers_alike_and_is_throttled(
        settings: Settings, mail_dir: Path, base_url: str) -> None:
    settings.signups_per_client = 2
    async with running(settings) as runner:
        b = Browser(base_url)
        try:
            fresh = await b.submit("/signup", "/signup",
                                   {"email": "kim@example.com", "password": PASSWORD})
            taken = await b.submit("/signup", "/signup",
                                   {"email": "KIM@example.com", "password": "other password"})
            assert fresh.status_code == taken.status_code == 200

            def said(r: httpx.Response) -> str:
                found = re.search(r"<main.*?</main>", r.text, re.S)
                assert found
                return re.sub(r"KIM|kim", "x", found.group(0))

            assert said(fresh) == said(taken)  # nothing tells the two apart
            await until(lambda: told(mail_dir, "kim@example.com"),  # the owner is told
                        "a mail to the address's owner")
            async with runner.rt.sessions() as s:
                assert await s.scalar(select(func.count()).select_from(User)) == 1
            r = await b.submit("/signup", "/signup",
                               {"email": "lee@example.com", "password": PASSWORD})
            assert r.status_code == 429
        finally:
            await b.close()


async def test_reset_mail_is_throttled_with_the_same_answer(
        settings: Settings, mail_dir: Path, base_url: str) -> None:
    settings.reset_mails_per_email = 2
    async with running(settings), signed_in_as(base_url, mail_dir, VIEWER, PASSWORD) as b:
        answers = [await b.submit("/reset", "/reset", {"email": f" {VIEWER.upper()}"})
                   for _ in range(4)]
        assert {r.status_code for r in answers} == {200}
        assert len({r.text.count("Check your mail") for r in answers}) == 1
        # Two mails, not four (the decision is made in the request; the mail follows it).
        await until(lambda: reset_mails(mail_dir) == 2, "two reset mails")
        assert reset_mails(mail_dir) == 2


def reset_mails(mail_dir: Path) -> int:
    return sum(email.message_from_bytes(p.read_bytes())["Subject"].startswith("Reset")
               for p in mail_dir.glob("*.eml"))


def told(mail_dir: Path, to: str) -> bool:
    for path in mail_dir.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes())
        body = msg.get_payload(decode=True)
        if msg["To"] == to and isinstance(body, bytes) and b"already has an account" in body:
            return True
    return False


# Item 5 -----------------------------------------------------------------------------------

async def test_application_urls_are_http_or_https_and_only_those_are_links(
        signed_in: Browser, server: Runner) -> None:
    for bad in ("javascript:alert(document.cookie)", "data:text/html,x", "ftp://example.com/",
                "JavaScript:alert(1)"):
        r = await signed_in.submit("/", "/apps", {"name": "Bad", "url": bad})
        assert "http:// or https://" in problem_of(r)
    r = await signed_in.submit("/", "/apps", {"name": "Good", "url": "https://example.com/s"})
    assert r.status_code == 303
    good = (await signed_in.get(r.headers["location"])).text
    assert '<a href="https://example.com/s"' in good
    # A row stored before the rule (or by any other way) is never rendered as a link.
    async with server.rt.sessions() as s, s.begin():
        app_id = await s.scalar(select(App.id).where(App.name == "Good"))
        await s.execute(update(App).where(App.id == app_id)
                        .values(url="javascript:alert(document.cookie)"))
    page = (await signed_in.get(f"/apps/{app_id}")).text
    assert "javascript:" not in page
