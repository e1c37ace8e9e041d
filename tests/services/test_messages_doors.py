"""POST /1/messages.json has two doors (routes/messages.py): the plain ASGI endpoint takes
urlencoded, JSON and query-string sends, the FastAPI route multipart ones. A client must not
be able to tell them apart: the same parameters get the same status, fields and headers
through either, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from overpush.models import Message
from overpush.settings import Settings

from services.runner import Runner
from tests.checks import count, is_uuid
from tests.factories import Person

# Headers that differ between any two answers, whichever door.
VARYING = {"date"}


def _shape(r: httpx.Response) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = r.json()
    assert is_uuid(body.pop("request")), body
    if "receipt" in body:  # each send its own
        assert len(body["receipt"]) == 30
        body["receipt"] = "given"
    headers = {k: v for k, v in r.headers.items() if k not in VARYING}
    headers.pop("content-length")
    if "x-limit-app-remaining" in headers:  # one less after each accepted send
        headers["x-limit-app-remaining"] = "counted"
    return r.status_code, body, headers


async def test_both_doors_answer_alike(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person,
    settings: Settings,
) -> None:
    url = f"{base_url}/1/messages.json"
    good = {"token": token, "user": ann.key, "message": "hi"}
    cases: list[dict[str, str]] = [
        good,
        {**good, "priority": "2", "retry": "60", "expire": "600"},  # answers a receipt
        {**good, "message": ""},  # refused, with where the app stands
        {**good, "token": "a" * 30},  # an unknown application: no limit headers
        {"message": "x", "user": "nobody"},
        {**good, "title": "a\x00b"},  # text no database can store
        {**good, "sound": "no-such-sound"},
    ]
    answers = []
    for fields in cases:
        plain = await http.post(url, data=fields)
        framework = await http.post(url, files={k: (None, v) for k, v in fields.items()})
        assert _shape(plain) == _shape(framework), fields
        answers.append(plain.status_code)
    assert answers == [200, 200, 400, 400, 400, 400, 400]
    # JSON and the query string take the plain door too, with the same answer.
    as_json = await http.post(url, json=good)
    in_query = await http.post(url, params=good)
    framework = await http.post(url, files={k: (None, v) for k, v in good.items()})
    assert _shape(as_json) == _shape(in_query) == _shape(framework)
    # Every accepted send was stored once: 2 + 2 + 3.
    assert await count(server.rt, Message) == 7


async def test_the_plain_door_keeps_the_body_limit_and_the_security_headers(
    http: httpx.AsyncClient, base_url: str, token: str, ann: Person, settings: Settings,
) -> None:
    url = f"{base_url}/1/messages.json"
    big = {"token": token, "user": ann.key, "message": "x" * settings.max_request_bytes}
    r = await http.post(url, data=big)
    assert r.status_code == 413 and r.json()["errors"] == ["request body is too large"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    # A declared length past the limit is refused before a byte of the body is read.
    reader, writer = await asyncio.open_connection(settings.http_host, settings.http_port)
    try:
        writer.write(b"POST /1/messages.json HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n" % (settings.max_request_bytes + 1))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    finally:
        writer.close()
    assert head.startswith(b"HTTP/1.1 413 ")
