"""A browser-like HTTP client for the web pages: cookies, CSRF tokens, the written mail."""

from __future__ import annotations

import email
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.waiting import until

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ALERT = re.compile(r'class="alert error" role="alert"><p>(.*?)</p>', re.S)
PASSWORD = "a fine password"
VIEWER = "dee@example.com"  # who the `signed_in` fixture signs in as


def problem_of(r: httpx.Response) -> str:
    """The problem a page answered a form with (status 400, the text of its red alert)."""
    assert r.status_code == 400, (r.status_code, r.headers.get("location"))
    found = ALERT.search(r.text)
    assert found, r.text[:500]
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


class Browser:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=20)

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def csrf(self, path: str) -> str:
        r = await self.http.get(path)
        match = CSRF.search(r.text)
        assert match, f"no CSRF field on {path}: {r.status_code} {r.text[:300]}"
        return match.group(1)

    async def submit(self, page: str, action: str, data: dict[str, str],
                     files: dict[str, tuple[str, bytes, str]] | None = None) -> httpx.Response:
        token = await self.csrf(page)
        return await self.http.post(action, data={**data, "csrf": token}, files=files)

    async def sign_up_and_confirm(self, mail_dir: Path, address: str, password: str) -> None:
        r = await self.submit("/signup", "/signup", {"email": address, "password": password})
        assert r.status_code == 200 and "Check your mail" in r.text
        link = await mailed_link(mail_dir, address, "/confirm/")
        r = await self.http.get(link)
        assert r.status_code == 200 and "Address confirmed" in r.text

    async def log_in(self, address: str, password: str) -> httpx.Response:
        return await self.submit("/login", "/login", {"email": address, "password": password})

    async def close(self) -> None:
        await self.http.aclose()


@asynccontextmanager
async def signed_in_as(base_url: str, mail_dir: Path, address: str,
                       password: str) -> AsyncIterator[Browser]:
    """A browser that signed up as `address`, confirmed from the written mail, and logged in
    (the server must write its mail to `mail_dir`)."""
    b = Browser(base_url)
    try:
        await b.sign_up_and_confirm(mail_dir, address, password)
        assert (await b.log_in(address, password)).status_code == 303
        yield b
    finally:
        await b.close()


async def mailed_link(mail_dir: Path, to: str, marker: str) -> str:
    """`last_link`, once the mail is written: account mail goes out after the page answered
    (so that the answer's time tells nothing), so it may be a moment behind."""

    def found() -> str:
        try:
            return last_link(mail_dir, to, marker)
        except AssertionError:
            return ""

    await until(found, f"a mail to {to} with a {marker} link in {mail_dir}")
    return last_link(mail_dir, to, marker)


def last_link(mail_dir: Path, to: str, marker: str) -> str:
    """The link containing `marker` in the newest mail written to `to`."""
    for path in sorted(mail_dir.glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(path.read_bytes())
        if msg["To"] == to:
            body = msg.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(r"https?://\S*" + re.escape(marker) + r"\S+", body.decode())
            if found:
                return found.group(0)
    raise AssertionError(f"no mail to {to} with a {marker} link in {mail_dir}")
