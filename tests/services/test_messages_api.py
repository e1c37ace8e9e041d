"""POST /1/messages.json over real HTTP on both backends: encodings, envelopes, limits, quota."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from overpush.models import App, Message
from overpush.quota import period_of
from overpush.settings import Settings
from sqlalchemy import update

from services.runner import Runner
from tests.checks import count, error_body, is_uuid
from tests.factories import Person, make_user, person

MAX_BODY = 64 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A small body limit, so that "too large" costs little to send.
    return settings.model_copy(update={"max_request_bytes": MAX_BODY})


def expected_reset() -> str:
    return str(int(period_of(datetime.now(UTC)).reset_at.timestamp()))


def assert_accepted(r: httpx.Response, remaining: int, limit: int = 7500) -> None:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == 1 and is_uuid(body["request"]), body
    assert set(body) == {"status", "request"}
    assert r.headers["X-Limit-App-Limit"] == str(limit)
    assert r.headers["X-Limit-App-Remaining"] == str(remaining)
    assert r.headers["X-Limit-App-Reset"] == expected_reset()


async def test_every_body_encoding_real_clients_use(
    http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    url = f"{base_url}/1/messages.json"
    fields = {"token": token, "user": ann.key}
    sends: list[tuple[str, dict[str, Any]]] = [
        ("urlencoded", {"data": {**fields, "message": "urlencoded", "title": "T1"}}),
        # curl --form-string: multipart fields without file names.
        ("multipart", {"files": {k: (None, v) for k, v in
                                 {**fields, "message": "multipart", "title": "T2"}.items()}}),
        ("json", {"json": {**fields, "message": "json", "priority": 1, "html": True}}),
        # python-pushover 0.4: everything in the query string of a POST with an empty body.
        ("query", {"params": {**fields, "message": "query", "priority": "-1"}}),
        ("merged", {"params": {"token": token},
                    "data": {"user": ann.key, "message": "merged", "html": "False"}}),
    ]
    for n, (_, kwargs) in enumerate(sends, start=1):
        r = await http.post(url, **kwargs)
        assert_accepted(r, remaining=7500 - n)

    got = sorted(await ann.device.receive(http, len(sends)), key=lambda m: m["umid"])
    assert [m["message"] for m in got] == [name for name, _ in sends]
    assert [m.get("title") for m in got] == ["T1", "T2", None, None, None]
    assert [m["priority"] for m in got] == [0, 0, 1, -1, 0]
    assert [m["html"] for m in got] == [0, 0, 1, 0, 0]
    assert all(m["app"] == "Backups" for m in got)


CASES: list[tuple[str, dict[str, str], str, str]] = [
    ("message", {"message": ""}, "message", "message cannot be blank"),
    ("message", {"message": "\U0001f600" * 1025}, "message",
     "message is too long; the limit is 1024 characters"),
    ("title", {"title": "t" * 251}, "title", "title is too long; the limit is 250 characters"),
    ("url", {"url": "u" * 513}, "url", "url is too long; the limit is 512 characters"),
    ("url_title", {"url_title": "v" * 101}, "url_title",
     "url_title is too long; the limit is 100 characters"),
    ("priority", {"priority": "3"}, "priority", "priority must be -2, -1, 0, 1 or 2"),
    ("priority", {"priority": "loud"}, "priority", "priority must be -2, -1, 0, 1 or 2"),
    ("sound", {"sound": "kazoo"}, "sound", "sound 'kazoo' is not a valid sound"),
    ("timestamp", {"timestamp": "-1"}, "timestamp",
     "timestamp must be a Unix timestamp in seconds"),
    ("ttl", {"ttl": "0"}, "ttl", "ttl must be a positive integer"),
    ("device", {"device": "my phone"}, "device",
     "device name is invalid; use 1-25 characters of A-Z, a-z, 0-9, _ and -"),
    ("html", {"html": "1", "monospace": "1"}, "monospace",
     "html and monospace cannot be used together"),
]


async def test_error_envelopes(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    url = f"{base_url}/1/messages.json"
    good = {"token": token, "user": ann.key, "message": "hi"}
    lonely = await make_user(server.rt)  # a user without devices

    token_text = "application token is invalid"
    error_body(await http.post(url, data={**good, "token": "short"}), 400, [token_text],
               token="invalid")
    error_body(await http.post(url, data={**good, "token": "a" * 30}), 400, [token_text],
               token="invalid")
    error_body(await http.post(url, data={k: v for k, v in good.items() if k != "token"}),
               400, [token_text], token="invalid")
    error_body(await http.post(url, data={**good, "user": "b" * 30}), 400,
               ["user identifier is not a valid user, group, or subscribed user key"],
               user="invalid")
    error_body(await http.post(url, data={**good, "user": f"{ann.key},{'c' * 30}"}), 400,
               ["user identifier is not a valid user, group, or subscribed user key"],
               user="invalid")
    error_body(await http.post(url, data={**good, "user": ""}), 400,
               ["user identifier is invalid"], user="invalid")
    error_body(await http.post(url, data={**good, "user": lonely.user_key}), 400,
               ["user has no active devices"], user="invalid")
    many = ",".join(f"{i:030d}" for i in range(51))
    error_body(await http.post(url, data={**good, "user": many}), 400,
               ["too many users; at most 50 per message"], user="invalid")
    for _, extra, key, text in CASES:
        error_body(await http.post(url, data={**good, **extra}), 400, [text], **{key: "invalid"})
    # Several problems: every one reported, each with its key.
    error_body(await http.post(url, data={"token": token, "message": " ", "ttl": "-1"}), 400,
               ["user identifier is invalid", "message cannot be blank",
                "ttl must be a positive integer"],
               user="invalid", message="invalid", ttl="invalid")
    # Nothing was admitted or stored by any of these.
    assert await count(server.rt, Message) == 0
    r = await http.post(url, data=good)
    assert_accepted(r, remaining=7499)


async def test_unparseable_bodies_are_4xx_envelopes(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    url = f"{base_url}/1/messages.json"
    for body in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}"):
        r = await http.post(url, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert set(r.json()) == {"errors", "status", "request"}
        assert r.json()["errors"][0].startswith("request body could not be parsed")

    # A multipart body that is cut short, has no boundary, or a boundary that never appears.
    good = {"token": token, "user": ann.key, "message": "hi"}
    built = httpx.Request("POST", url, files={k: (None, v) for k, v in good.items()})
    raw, ctype = built.read(), built.headers["content-type"]
    # A body cut short is read leniently (clients' terminators vary): what arrived is checked.
    r = await http.post(url, content=raw[: len(raw) // 2], headers={"content-type": ctype})
    error_body(r, 400, ["user identifier is invalid", "message cannot be blank"],
               user="invalid", message="invalid")
    for content, content_type, reason in [
        (raw, "multipart/form-data", "Missing boundary in multipart."),
        (raw, "multipart/form-data; boundary=nothere", "Invalid multipart data."),
        (b"garbage", ctype, "Invalid multipart data."),
    ]:
        r = await http.post(url, content=content, headers={"content-type": content_type})
        error_body(r, 400, [f"request body could not be parsed: {reason}"])

    # A body of a type we do not read: its parameters are not there, which is reported.
    r = await http.post(url, content=httpx.QueryParams(good).__str__().encode(),
                        headers={"content-type": "text/plain"})
    error_body(r, 400, ["application token is invalid", "user identifier is invalid",
                        "message cannot be blank"],
               token="invalid", user="invalid", message="invalid")
    assert await count(server.rt, Message) == 0


async def test_text_no_database_can_store_is_refused_alike_on_both_backends(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    # PostgreSQL refuses NUL in text and nothing can encode a lone surrogate: without a check
    # these were a 200 on SQLite and a 503 ("retry") on PostgreSQL, or a 500.
    url = f"{base_url}/1/messages.json"
    good = {"token": token, "user": ann.key, "message": "hi"}
    error_body(await http.post(url, data={**good, "message": "a\x00b"}), 400,
               ["message contains a NUL character or an unpaired surrogate"], message="invalid")
    error_body(await http.post(url, json={**good, "title": "\x00"}), 400,
               ["title contains a NUL character or an unpaired surrogate"], title="invalid")
    # JSON escapes, written into the body as they are: json.dumps would refuse a lone one.
    lone = json.dumps({**good, "message": "HI", "url_title": "LO"}).replace(
        '"HI"', '"\\ud800"').replace('"LO"', '"\\udfff"')
    error_body(await http.post(url, content=lone, headers={"content-type": "application/json"}),
               400, ["message contains a NUL character or an unpaired surrogate",
                     "url_title contains a NUL character or an unpaired surrogate"],
               message="invalid", url_title="invalid")
    # A well-formed pair is one character, and fine.
    pair = json.dumps({**good, "message": "HI"}).replace('"HI"', '"\\ud83d\\ude00"')
    r = await http.post(url, content=pair, headers={"content-type": "application/json"})
    assert_accepted(r, remaining=7499)
    assert [m["message"] for m in await ann.device.receive(http, 1)] == ["\U0001f600"]


async def test_body_too_large(
    http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    url = f"{base_url}/1/messages.json"
    big = "x" * (MAX_BODY + 1)
    fields = {"token": token, "user": ann.key, "message": "hi", "title": big}
    too_large = ["request body is too large"]
    error_body(await http.post(url, data=fields), 413, too_large)
    error_body(await http.post(url, json=fields), 413, too_large)
    error_body(await http.post(url, files={k: (None, v) for k, v in fields.items()}), 413,
               too_large)

    # Without a Content-Length (chunked), the limit holds while reading.
    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        for i in range(0, len(data), 8192):
            yield data[i:i + 8192]

    for ctype, data in [
        ("application/json", httpx.Request("POST", url, json=fields).read()),
        ("application/x-www-form-urlencoded", httpx.Request("POST", url, data=fields).read()),
    ]:
        r = await http.post(url, content=chunks(data), headers={"content-type": ctype})
        assert "content-length" not in r.request.headers
        error_body(r, 413, too_large)

    # Just under the limit is fine.
    small = {**fields, "title": "t", "url": "u" * 500}
    assert_accepted(await http.post(url, data=small), remaining=7499)


async def test_unknown_route_and_wrong_method(http: httpx.AsyncClient, base_url: str,
                                              server: Runner) -> None:
    error_body(await http.get(f"{base_url}/1/nope.json"), 404, ["no such API call"])
    error_body(await http.post(f"{base_url}/2/messages.json"), 404, ["no such API call"])
    r = await http.put(f"{base_url}/1/messages.json")
    error_body(r, 405, ["method not allowed"])
    # Starlette names the methods of the first route on the path only (GET is the download).
    assert "POST" in r.headers["allow"].split(", ")
    r = await http.get(f"{base_url}/1/users/login.json")
    error_body(r, 405, ["method not allowed"])
    assert r.headers["allow"] == "POST"


async def test_quota_exhaustion_is_429_with_headers(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    async with server.rt.sessions() as session, session.begin():
        await session.execute(update(App).where(App.token == token).values(monthly_limit=2))
    url = f"{base_url}/1/messages.json"
    bob = await person(server.rt, http, base_url, "phone", connect=False)
    good = {"token": token, "user": ann.key, "message": "hi"}

    assert_accepted(await http.post(url, data=good), remaining=1, limit=2)
    # Two recipients need two messages; only one is left, so nothing is admitted.
    r = await http.post(url, data={**good, "user": f"{ann.key},{bob.key}"})
    error_body(r, 429, ["application has exceeded its monthly message limit"],
               token="over quota")
    assert r.headers["X-Limit-App-Limit"] == "2"
    assert r.headers["X-Limit-App-Remaining"] == "1"
    assert_accepted(await http.post(url, data=good), remaining=0, limit=2)
    r = await http.post(url, data=good)
    error_body(r, 429, ["application has exceeded its monthly message limit"],
               token="over quota")
    assert (r.headers["X-Limit-App-Limit"], r.headers["X-Limit-App-Remaining"],
            r.headers["X-Limit-App-Reset"]) == ("2", "0", expected_reset())
    assert await count(server.rt, Message) == 2

    # A limit of zero switches an application off; it does not mean "the default".
    async with server.rt.sessions() as session, session.begin():
        await session.execute(update(App).where(App.token == token).values(monthly_limit=0))
    r = await http.post(url, data=good)
    assert r.status_code == 429 and r.headers["X-Limit-App-Limit"] == "0"
