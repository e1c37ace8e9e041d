"""Security of accounts over the Open Client and Message APIs (issue 14 items 1, 3, 4, 5, 6, 9;
issue 17 §1), on both backends, on a fixed clock so one-time codes never collide."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pyotp
import pytest
import websockets
from overpush import accounts, credentials
from overpush.clock import FixedClock
from overpush.models import App, ClientSession, Device, User
from overpush.settings import Settings
from sqlalchemy import func, select, update

from services.runner import Runner
from testkit.servers import running
from tests.factories import PASSWORD, Person, make_app, make_user, user_with_device

T0 = datetime(2026, 11, 30, 12, 0, 7, tzinfo=UTC)  # 7 s into a 30-second TOTP step


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Runner, FixedClock, str]]:
    """Every service on a clock the test moves; and its base URL."""
    clock = FixedClock(T0)
    async with running(settings, clock=clock) as runner:
        yield runner, clock, f"http://{settings.http_host}:{settings.http_port}"


async def with_totp(runner: Runner, email: str) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    async with runner.rt.sessions() as s, s.begin():
        await s.execute(update(User).where(User.email == email)
                        .values(totp_secret=secret, totp_enabled=True))
    return pyotp.TOTP(secret)


async def api_login(http: httpx.AsyncClient, base: str, email: str, password: str = PASSWORD,
                    twofa: str | None = None, **headers: str) -> httpx.Response:
    data = {"email": email, "password": password}
    if twofa is not None:
        data["twofa"] = twofa
    return await http.post(f"{base}/1/users/login.json", data=data, headers=headers)


# Item 1 -----------------------------------------------------------------------------------

async def test_api_twofa_code_works_once_per_account(
        clocked: tuple[Runner, FixedClock, str], http: httpx.AsyncClient) -> None:
    runner, clock, base = clocked
    ann = await make_user(runner.rt)
    totp = await with_totp(runner, ann.email)
    code = totp.at(clock.now())
    assert (await api_login(http, base, ann.email, twofa=code)).status_code == 200
    # The same code again, in another log-in: refused, though still inside its window.
    r = await api_login(http, base, ann.email, twofa=code)
    assert r.status_code == 400 and r.json()["twofa"] == "invalid", r.text
    # A step later the old code is still inside the accepted window: still refused.
    clock.advance(30)
    assert (await api_login(http, base, ann.email, twofa=code)).status_code == 400
    assert (await api_login(http, base, ann.email,
                            twofa=totp.at(clock.now()))).status_code == 200


async def test_api_twofa_failures_are_throttled_even_for_the_right_code(
        clocked: tuple[Runner, FixedClock, str], http: httpx.AsyncClient) -> None:
    runner, clock, base = clocked
    ann = await make_user(runner.rt)
    totp = await with_totp(runner, ann.email)
    per_session = runner.rt.settings.twofa_failures_per_session
    for _ in range(per_session):
        r = await api_login(http, base, ann.email, twofa="000000")
        assert r.status_code == 400 and r.json()["twofa"] == "invalid"
    r = await api_login(http, base, ann.email, twofa=totp.at(clock.now()))
    assert r.status_code == 429 and r.json()["twofa"] == "throttled", r.text
    # The window ends: the right code works again.
    clock.advance(runner.rt.settings.login_window_seconds + 1)
    assert (await api_login(http, base, ann.email,
                            twofa=totp.at(clock.now()))).status_code == 200


# Item 6 -----------------------------------------------------------------------------------

async def test_api_login_is_throttled_by_one_normalised_identity(
        settings: Settings, http: httpx.AsyncClient) -> None:
    settings.login_failures_per_email = 3
    settings.trusted_proxies = "127.0.0.1"  # each failure from its own forwarded client
    async with running(settings) as runner:
        base = f"http://{settings.http_host}:{settings.http_port}"
        bob = await make_user(runner.rt, "bob@example.com")
        for n, spelling in enumerate((" bob@example.com", "BOB@example.com", "Bob@Example.COM ")):
            r = await api_login(http, base, spelling, "wrong password",
                                **{"X-Forwarded-For": f"198.51.100.{n}"})
            assert r.status_code == 400 and r.json()["email"] == "invalid", r.text
        r = await api_login(http, base, bob.email, **{"X-Forwarded-For": "198.51.100.9"})
        assert r.status_code == 429 and r.json()["email"] == "throttled", r.text
        # The web log-in shares the lock-out (same key).
        r = await http.post(f"{base}/login", data={"email": "BOB@EXAMPLE.COM",
                                                   "password": PASSWORD})
        assert r.status_code in (403, 429)  # no CSRF token here: refused either way


async def test_one_client_behind_the_proxy_does_not_lock_out_another(
        settings: Settings, http: httpx.AsyncClient) -> None:
    settings.login_failures_per_client = 3
    settings.trusted_proxies = "127.0.0.1"
    async with running(settings) as runner:
        base = f"http://{settings.http_host}:{settings.http_port}"
        victim = await make_user(runner.rt)
        for n in range(3):
            await api_login(http, base, f"nobody{n}@example.com", "x" * 10,
                            **{"X-Forwarded-For": "203.0.113.66"})
        r = await api_login(http, base, "nobody9@example.com", "x" * 10,
                            **{"X-Forwarded-For": "203.0.113.66"})
        assert r.status_code == 429, r.text  # the attacker's address is throttled
        r = await api_login(http, base, victim.email, **{"X-Forwarded-For": "203.0.113.7"})
        assert r.status_code == 200, r.text  # another address behind the same proxy is not


async def test_logins_for_unknown_accounts_never_reach_the_hashing_pool(
        settings: Settings, http: httpx.AsyncClient) -> None:
    settings.login_failures_per_client = 5
    async with running(settings) as runner:
        base = f"http://{settings.http_host}:{settings.http_port}"
        before = runner.rt.passwords.verifies
        for n in range(5):
            r = await api_login(http, base, f"ghost{n}@example.com", "x" * 10)
            assert r.status_code == 400 and r.json()["email"] == "invalid"
        assert runner.rt.passwords.verifies == before
        # Rate-limited too: the sixth is refused before any work.
        r = await api_login(http, base, "ghost9@example.com", "x" * 10)
        assert r.status_code == 429


# Item 4 -----------------------------------------------------------------------------------

async def test_no_token_works_until_the_address_is_confirmed(
        server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    rt = server.rt
    mail = await accounts.sign_up(rt, "Una@example.com", PASSWORD)
    async with rt.sessions() as s:
        uid = await s.scalar(select(User.id).where(User.email == "Una@example.com"))
        user_key = await s.scalar(select(User.user_key).where(User.id == uid))
    # The sign-up's own "E-mail" application.
    async with rt.sessions() as s:
        email_app = await s.scalar(select(App.token).where(App.owner_id == uid))
    someone = await user_with_device(rt, base_url, http)
    send = {"user": someone.user_key, "message": "free quota?"}
    r = await http.post(f"{base_url}/1/messages.json", data={**send, "token": email_app})
    assert r.status_code == 400 and r.json()["token"] == "invalid", r.text
    r = await http.get(f"{base_url}/1/apps/limits.json", params={"token": email_app})
    assert r.status_code == 400 and r.json()["token"] == "invalid", r.text
    # No device secret either (nothing could register a device on the address).
    r = await api_login(http, base_url, "una@example.com")
    assert r.status_code == 400 and r.json()["email"] == "unconfirmed", r.text

    token = mail.body.split("/confirm/")[1].split()[0]
    assert await accounts.confirm(rt, token)
    r = await http.post(f"{base_url}/1/messages.json", data={**send, "token": email_app})
    assert r.status_code == 200, r.text
    assert (await api_login(http, base_url, "una@example.com")).json()["id"] == user_key


# Items 9, 10 ------------------------------------------------------------------------------

async def test_one_account_per_address_whatever_its_case(server: Runner) -> None:
    rt = server.rt
    first = await accounts.sign_up(rt, "Zed@example.com", PASSWORD)
    again = await accounts.sign_up(rt, " zed@EXAMPLE.com", "another password")
    assert "/confirm/" in first.body
    # No second account; the owner of the address is told instead (the page says the same).
    assert "/confirm/" not in again.body and "already has an account" in again.body
    async with rt.sessions() as s:
        n = await s.scalar(select(func.count()).select_from(User)
                           .where(User.email_key == "zed@example.com"))
        total = await s.scalar(select(func.count()).select_from(User)
                               .where(func.lower(User.email) == "zed@example.com"))
    assert (n, total) == (1, 1)


# Item 3 (and issue 17 §1) -----------------------------------------------------------------

async def test_a_reset_revokes_every_secret_and_removes_their_devices(
        server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    rt = server.rt
    dev = await user_with_device(rt, base_url, http, "squatter", connect=True)
    other = await user_with_device(rt, base_url, http, "bystander", connect=True)
    try:
        mail = await credentials.request_reset(rt, dev.email.upper())
        assert mail is not None
        token = mail.body.split("/reset/")[1].split()[0]
        assert await credentials.reset(rt, token, "a brand new password")
        # The device hears `E` and its connection closes; its secret and row are gone.
        assert await dev.frame_other_than_keepalive() == b"E"
        with pytest.raises(websockets.ConnectionClosed):
            await dev.frame(timeout=5)
        r = await http.get(f"{base_url}/1/messages.json",
                           params={"secret": dev.secret, "device_id": dev.device_id})
        assert r.status_code == 400 and r.json()["secret"] == "invalid"
        async with rt.sessions() as s:
            assert await s.scalar(select(Device.id).where(
                Device.public_id == dev.device_id)) is None
            assert await s.scalar(select(func.count()).select_from(ClientSession).join(
                User, User.id == ClientSession.user_id).where(User.email == dev.email)) == 0
        # Another account's device is untouched.
        assert len(await other.download(http)) == 0
    finally:
        await dev.close()
        await other.close()


async def test_logout_and_device_deletion_tell_the_device_E(
        server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    rt = server.rt
    one = await user_with_device(rt, base_url, http, "one", connect=True)
    two = await user_with_device(rt, base_url, http, "two", connect=True)
    try:
        r = await http.post(f"{base_url}/1/users/logout.json", data={"secret": one.secret})
        assert r.status_code == 200
        assert await one.frame_other_than_keepalive() == b"E"
        r = await http.get(f"{base_url}/1/messages.json",
                           params={"secret": one.secret, "device_id": one.device_id})
        assert r.status_code == 400 and r.json()["secret"] == "invalid"

        r = await http.post(f"{base_url}/1/devices/{two.device_id}/delete.json",
                            data={"secret": two.secret})
        assert r.status_code == 200
        assert await two.frame_other_than_keepalive() == b"E"
        with pytest.raises(websockets.ConnectionClosed):
            await two.frame(timeout=5)
    finally:
        await one.close()
        await two.close()


async def test_an_acknowledgement_names_the_device_of_the_secret(
        server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    """Issue 17 §1: with several devices, a client that sends only its secret (as Pushover's
    do) is still known: the secret is tied to the device it registered."""
    rt = server.rt
    ann = await make_user(rt)
    laptop = await user_with_device(rt, base_url, http, "laptop", account=ann)
    pager = await user_with_device(rt, base_url, http, "pager", account=ann)
    token = await make_app(rt, ann)
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.user_key, "message": "db down", "priority": "2",
        "retry": "60", "expire": "3600"})
    receipt = r.json()["receipt"]
    r = await http.post(f"{base_url}/1/receipts/{receipt}/acknowledge.json",
                        data={"secret": pager.secret})
    assert r.status_code == 200, r.text
    body = (await http.get(f"{base_url}/1/receipts/{receipt}.json",
                           params={"token": token})).json()
    assert body["acknowledged"] == 1 and body["acknowledged_by_device"] == "pager", body
    await laptop.close()
    await pager.close()


# Item 5 -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)",
                                 "java\tscript:alert(1)", "data:text/html,<script>x</script>",
                                 "VBScript:msgbox", "\x01javascript:alert(1)"])
async def test_message_urls_that_run_code_are_refused(
        ann: Person, token: str, http: httpx.AsyncClient, base_url: str, url: str) -> None:
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "message": "hi", "url": url})
    assert r.status_code == 400 and r.json()["url"] == "invalid", r.text


@pytest.mark.parametrize("url", ["tel:+15550001111", "twitter://user?id=1",
                                 "https://example.com/x", "myapp:open"])
async def test_message_urls_keep_pushovers_freedom(
        ann: Person, token: str, http: httpx.AsyncClient, base_url: str, url: str) -> None:
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "message": "hi", "url": url})
    assert r.status_code == 200, r.text


async def test_an_operators_2fa_reset_also_revokes(
        server: Runner, http: httpx.AsyncClient, base_url: str) -> None:
    from services.admin import people

    dev = await user_with_device(server.rt, base_url, http, "lost-phone", connect=True)
    try:
        await people.reset_two_factor(server.rt, dev.email)
        assert await dev.frame_other_than_keepalive() == b"E"
        async with server.rt.sessions() as s:
            assert await s.scalar(select(Device.id).where(
                Device.public_id == dev.device_id)) is None
    finally:
        await dev.close()
