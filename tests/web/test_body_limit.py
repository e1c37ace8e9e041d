"""The web forms have the API's body limit, enforced while the body is read and answered 413
(issue 14, item 7): a huge post to /login, /signup or /apps, with no session and no CSRF token,
is refused before it is read, not spooled to disk and then redirected. The limit is the
same code on both backends, so one (SQLite) is enough here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from overpush.settings import Settings

from services.runner import Runner
from testkit.backends import sqlite_settings
from tests.checks import error_body

LIMIT = 64 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sqlite_settings(tmp_path, max_request_bytes=LIMIT)


async def _chunks(total: int, size: int = 16 * 1024, head: bytes = b"") -> AsyncIterator[bytes]:
    yield head
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


@pytest.mark.parametrize("path", ["/login", "/signup", "/apps"])
async def test_a_form_above_the_limit_is_refused_with_413(
    server: Runner, base_url: str, http: httpx.AsyncClient, path: str,
) -> None:
    # Declared too large: refused before a byte of the body is read.
    r = await http.post(f"{base_url}{path}", files={"icon": ("a.png", b"x" * (LIMIT + 1))},
                        data={"email": "a@example.com", "password": "p" * 12})
    assert r.status_code == 413, (r.status_code, r.headers.get("location"))
    assert "Too much at once" in r.text
    # Streamed without a length (chunked): refused once the count passes the limit.
    part = (b'--b\r\nContent-Disposition: form-data; name="icon"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")
    r = await http.post(f"{base_url}{path}", content=_chunks(4 * LIMIT, head=part), headers={
        "content-type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and "Too much at once" in r.text


async def test_below_the_limit_the_forms_work_as_before(
    server: Runner, base_url: str, http: httpx.AsyncClient,
) -> None:
    r = await http.post(f"{base_url}/login", data={"email": "a@example.com", "password": "x"})
    assert r.status_code in (303, 400, 403)


async def test_the_api_keeps_its_envelope_for_the_same_limit(
    server: Runner, base_url: str, http: httpx.AsyncClient,
) -> None:
    r = await http.post(f"{base_url}/1/messages.json", content=_chunks(4 * LIMIT), headers={
        "content-type": "application/x-www-form-urlencoded"})
    error_body(r, 413, ["request body is too large"])
    r = await http.post(f"{base_url}/1/messages.json", data={"message": "x" * (LIMIT + 1)})
    error_body(r, 413, ["request body is too large"])
