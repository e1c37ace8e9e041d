"""Accounts in the browser: sign-up with confirmation, log-in limits, reset, 2FA, argon2 upgrade."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pyotp
import pytest
from argon2 import PasswordHasher
from overpush.models import User
from overpush.settings import Settings
from PIL import Image
from sqlalchemy import select, update

from services.runner import Runner
from tests.web.conftest import Clocked
from tests.web.helpers import PASSWORD, VIEWER, Browser, mailed_link, problem_of


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.login_failures_per_email = 3  # few tries, so the limit costs little to reach
    return settings


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def test_sign_up_confirm_and_register_an_application(browser: Browser, mail_dir: Path,
                                                           server: Runner) -> None:
    r = await browser.submit("/signup", "/signup", {"email": "eve@example.com",
                                                    "password": PASSWORD})
    assert "Check your mail" in r.text
    r = await browser.log_in("eve@example.com", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = await browser.get("/")
    assert "Confirm your e-mail address" in r.text
    r = await browser.submit("/", "/apps", {"name": "Too early"})
    assert "Confirm your e-mail address first" in problem_of(r)

    link = await mailed_link(mail_dir, "eve@example.com", "/confirm/")
    assert link.startswith(server.rt.settings.base_url)
    path = link[link.index("/confirm/"):]
    assert (await browser.get(path)).status_code == 200
    assert (await browser.get(path)).status_code == 400  # a link works once

    r = await browser.submit("/", "/apps", {"name": "Backups", "description": "nightly"},
                             files={"icon": ("icon.png", png(300, 200), "image/png")})
    assert r.status_code == 303
    page = await browser.get(r.headers["location"])
    token = re.search(r'id="app-token">([A-Za-z0-9]{30})<', page.text)
    assert token and "Backups" in page.text
    assert '<strong id="usage">0</strong> of 7,500' in page.text
    app_id = r.headers["location"].rsplit("/", 1)[1]
    icon = await browser.get(f"/icons/{app_id}.png")
    assert icon.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(icon.content)).size == (72, 72)

    user_key = re.search(r'id="user-key">([A-Za-z0-9]{30})<', (await browser.get("/")).text)
    assert user_key is not None


async def test_forms_need_the_csrf_token(browser: Browser) -> None:
    await browser.get("/login")
    r = await browser.http.post("/login", data={"email": "x@example.com", "password": "x"})
    assert r.status_code == 403 and "Form expired" in r.text
    r = await browser.http.post("/login", data={"email": "x@example.com", "password": "x",
                                                "csrf": "forged"})
    assert r.status_code == 403


async def test_pages_need_a_session(browser: Browser) -> None:
    r = await browser.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login"


async def test_log_in_attempts_are_limited(browser: Browser, mail_dir: Path) -> None:
    await browser.sign_up_and_confirm(mail_dir, "mal@example.com", PASSWORD)
    for _ in range(3):
        assert (await browser.log_in("mal@example.com", "wrong password")).status_code == 400
    r = await browser.log_in("mal@example.com", PASSWORD)
    assert r.status_code == 429 and "Too many failed log-ins" in r.text


async def test_password_reset_link_works_once(browser: Browser, mail_dir: Path) -> None:
    await browser.sign_up_and_confirm(mail_dir, "rob@example.com", PASSWORD)
    r = await browser.submit("/reset", "/reset", {"email": "rob@example.com"})
    assert "Check your mail" in r.text
    path = await mailed_link(mail_dir, "rob@example.com", "/reset/")
    path = path[path.index("/reset/"):]
    r = await browser.submit(path, path, {"password": "the new password"})
    assert "Password changed" in r.text
    r = await browser.submit(path, path, {"password": "another password"})
    assert r.status_code == 400 and "Link not valid" in r.text
    assert (await browser.log_in("rob@example.com", PASSWORD)).status_code == 400
    assert (await browser.log_in("rob@example.com", "the new password")).status_code == 303


async def test_weak_hash_is_upgraded_on_log_in(browser: Browser, mail_dir: Path,
                                               server: Runner) -> None:
    await browser.sign_up_and_confirm(mail_dir, "old@example.com", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    async with server.rt.sessions() as s, s.begin():
        await s.execute(update(User).where(User.email == "old@example.com")
                        .values(password_hash=weak))
    assert (await browser.log_in("old@example.com", PASSWORD)).status_code == 303
    async with server.rt.sessions() as s:
        stored = await s.scalar(select(User.password_hash).where(User.email == "old@example.com"))
    assert stored != weak and stored is not None and stored.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(stored)


async def test_two_factor_authentication(clocked: Clocked, base_url: str) -> None:
    """On a fixed clock: each code is good once per account, so each step here moves the
    clock on to the next 30-second step."""
    browser, clock = clocked.browser, clocked.clock
    setup = await browser.get("/settings/2fa")
    assert 'src="data:image/svg+xml;base64,' in setup.text
    secret = re.search(r'<code id="totp-key">([A-Z2-7]+)</code>', setup.text)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    r = await browser.submit("/settings/2fa", "/settings/2fa", {"code": totp.at(clock.now())})
    assert r.status_code == 200 and "Your recovery codes" in r.text
    await browser.submit("/", "/logout", {})

    r = await browser.log_in(VIEWER, PASSWORD)
    assert r.headers["location"] == "/login/2fa"
    assert (await browser.get("/")).status_code == 303  # half logged in is not logged in
    r = await browser.submit("/login/2fa", "/login/2fa", {"code": "000000"})
    assert r.status_code == 400
    clock.advance(30)
    r = await browser.submit("/login/2fa", "/login/2fa", {"code": totp.at(clock.now())})
    assert r.status_code == 303 and (await browser.get("/")).status_code == 200

    async with httpx.AsyncClient(base_url=base_url) as http:
        creds = {"email": VIEWER, "password": PASSWORD}
        r = await http.post("/1/users/login.json", data=creds)
        assert r.status_code == 412 and r.json()["status"] == 0
        r = await http.post("/1/users/login.json", data={**creds, "twofa": "123"})
        assert r.status_code == 400
        clock.advance(30)
        r = await http.post("/1/users/login.json", data={**creds, "twofa": totp.at(clock.now())})
        assert r.status_code == 200 and len(r.json()["secret"]) == 60
