"""Security headers on every answer, no inline script or style on any page, __Host- cookies
behind TLS, HTML error pages for browsers, and notices only from a fixed set of keys."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from overpush.models import App
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import update

from services.api.app import create_app
from services.runner import Runner
from testkit.backends import sqlite_settings
from testkit.servers import running
from tests.web.helpers import CSRF, PASSWORD, Browser

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; media-src 'self'; connect-src 'self'; worker-src 'self'; "
       "manifest-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Headers, markup and cookies do not depend on the backend: SQLite is enough.
    return sqlite_settings(tmp_path)


def base_of(s: Settings) -> str:
    return f"http://{s.http_host}:{s.http_port}"


def assert_secured(r: httpx.Response) -> None:
    assert r.headers["content-security-policy"] == CSP, r.request.url
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in r.headers  # off unless the operator sets it


async def test_every_answer_carries_the_security_headers(signed_in: Browser) -> None:
    for path in ("/", "/login", "/account", "/static/style.css", "/static/app.js", "/client",
                 "/favicon.ico", "/no-such-page", "/healthz"):
        assert_secured(await signed_in.get(path))
    api = await signed_in.http.post("/1/messages.json", data={"token": "x"})
    assert api.status_code == 400 and api.json()["status"] == 0
    assert_secured(api)


class Markup(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        self.inline += [f"{tag} {k}=" for k in names if k == "style" or k.startswith("on")]


async def test_pages_have_no_inline_script_or_style(signed_in: Browser) -> None:
    r = await signed_in.submit("/", "/apps", {"name": "Probe"})
    app_page = r.headers["location"]
    r = await signed_in.submit("/", "/test", {"message": "x", "app": "0"})  # a problem page
    pages = {"/test (answered)": r.text}
    for path in ("/", "/account", "/settings/2fa", "/groups", "/email", app_page, "/client",
                 "/no-such-page", "/?notice=test_sent"):
        pages[path] = (await signed_in.get(path)).text
    await signed_in.submit("/", "/logout", {})
    for path in ("/login", "/signup", "/reset", "/login/2fa"):
        pages[path] = (await signed_in.get(path)).text
    for path, text in pages.items():
        markup = Markup()
        markup.feed(text)
        assert markup.inline == [], path


async def test_hsts_is_an_operator_setting(tmp_path: Path) -> None:
    s = sqlite_settings(tmp_path, hsts_max_age=31536000)
    async with running(s), httpx.AsyncClient(base_url=base_of(s)) as http:
        r = await http.get("/login")
        assert r.headers["strict-transport-security"] == "max-age=31536000"


async def test_cookies_get_the_host_prefix_when_the_public_url_is_https(
        tmp_path: Path) -> None:
    s = sqlite_settings(tmp_path, public_url="https://push.example.com",
                        mail_dir=str(tmp_path / "mail"))
    async with running(s), httpx.AsyncClient(base_url=base_of(s)) as http:
        # httpx keeps Secure cookies off plain http, as browsers do: carry them by hand.
        r = await http.get("/signup")
        csrf_cookie = r.headers["set-cookie"]
        assert csrf_cookie.startswith("__Host-op_csrf=")
        assert "Secure" in csrf_cookie and "Path=/" in csrf_cookie
        assert "domain" not in csrf_cookie.lower()
        token = csrf_cookie.split(";")[0].split("=", 1)[1]
        match = CSRF.search(r.text)
        assert match and match.group(1) == token
        cookies = {"Cookie": f"__Host-op_csrf={token}"}
        r = await http.post("/signup", headers=cookies, data={
            "email": "tls@example.com", "password": PASSWORD, "csrf": token})
        assert "Check your mail" in r.text
        r = await http.post("/login", headers=cookies, data={
            "email": "tls@example.com", "password": PASSWORD, "csrf": token})
        session = r.headers["set-cookie"]
        assert r.status_code == 303 and session.startswith("__Host-op_session=")
        assert "Secure" in session and "HttpOnly" in session
        value = session.split(";")[0].split("=", 1)[1]
        r = await http.get("/", headers={"Cookie": f"__Host-op_session={value}"})
        assert r.status_code == 200 and "tls@example.com" in r.text
        # The unprefixed name (what a plain-http sibling could set) is not a session here.
        r = await http.get("/", headers={"Cookie": f"op_session={value}"})
        assert r.status_code == 303


async def test_the_subscribe_page_may_lead_to_the_success_url(signed_in: Browser,
                                                              server: Runner) -> None:
    r = await signed_in.submit("/", "/apps", {"name": "Weather alerts"})
    app_id = int(r.headers["location"].rsplit("/", 1)[1])
    async with server.rt.sessions() as s, s.begin():
        await s.execute(update(App).where(App.id == app_id).values(subscription_code="wx"))
    r = await signed_in.get("/subscribe/wx?success=https://weather.example/done")
    assert r.headers["content-security-policy"] == CSP.replace(
        "form-action 'self'", "form-action 'self' https://weather.example")
    r = await signed_in.get("/subscribe/wx?success=javascript:alert(1)")
    assert r.headers["content-security-policy"] == CSP


async def test_dashboard_shows_only_known_notices(signed_in: Browser) -> None:
    phishing = "Your account is locked. Call +1 555 0100 to unlock it"
    for path in (f"/?error={phishing}", f"/?notice={phishing}", f"/groups?error={phishing}",
                 f"/email?saved=1&error={phishing}", "/?notice=<b>bold</b>"):
        r = await signed_in.get(path)
        assert r.status_code == 200
        assert "locked" not in r.text and "bold" not in r.text and 'role="alert"' not in r.text
        assert 'class="alert ok"' not in r.text
    r = await signed_in.get("/?notice=test_sent")
    assert "Test notification sent." in r.text


async def test_browser_routes_answer_html_errors(signed_in: Browser) -> None:
    r = await signed_in.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text and 'href="/groups"' in r.text  # the signed-in header
    r = await signed_in.get("/logout")  # a form's address, opened as a page
    assert r.status_code == 405 and "Not possible here" in r.text
    assert r.headers["allow"] == "POST"
    r = await signed_in.get("/1/no-such-call.json")
    assert r.status_code == 404 and r.json()["status"] == 0
    assert r.headers["content-type"] == "application/json"


async def test_a_fault_is_a_page_for_people_and_an_envelope_for_the_api(
        runtime: Runtime) -> None:
    app: FastAPI = create_app(runtime)

    async def fails() -> None:
        raise RuntimeError("kaboom-detail")

    for path in ("/broken", "/1/broken.json"):
        app.add_api_route(path, fails)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        page = await http.get("/broken")
        api = await http.get("/1/broken.json")
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "RuntimeError" not in page.text and "kaboom-detail" not in page.text
    assert api.status_code == 500
    assert api.json()["status"] == 0 and api.json()["errors"] == [
        "internal server error; it was logged"]
