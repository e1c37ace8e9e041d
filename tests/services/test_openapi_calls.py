"""Every operation /openapi.json documents is called for real, with a success and each of
its documented refusals, and each answer (status, content type, body; the .xml form) is checked
against the document. The list comes from the document: an operation added without being
exercised here fails the test.

The same calls are the document's examples: services/api/reference/examples.json holds them
(volatile values replaced by placeholders), and the test fails when an example no longer
validates or no longer has the shape of what the server answers. After changing an answer,
record them again with `make api-examples` (OVERPUSH_RECORD_EXAMPLES=1 on this test)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest
from overpush.clock import FixedClock
from overpush.settings import Settings

from services.api.reference.examples import EXAMPLES_FILE
from services.runner import Runner
from testkit.servers import running
from tests.factories import Person, make_app, person
from tests.services import reference_scenario as scenario
from tests.services.licensing_support import T0
from tests.services.reference_calls import Caller, examples, response_schema, shape

RECORD = os.environ.get("OVERPUSH_RECORD_EXAMPLES") == "1"


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Runner]:
    """A clock that stands still, so the recorded times are the same on every run; private
    addresses allowed for the Web Push endpoint on loopback."""
    allow = settings.model_copy(update={"callback_allow_private": True})
    async with running(allow, clock=FixedClock(T0)) as runner:
        yield runner


async def exercise(server: Runner, base_url: str, http: httpx.AsyncClient, ann: Person,
                   token: str) -> tuple[dict[str, Any], Caller]:
    doc = (await http.get(f"{base_url}/openapi.json")).json()
    c = Caller(http, base_url, doc)
    bob = await person(server.rt, http, base_url, "phone", connect=False)
    try:
        c.redact.known(ann.account.email, "ann@example.com")
        c.redact.known(bob.account.email, "bob@example.com")
        for who in (ann, bob):  # their first e-mail address has a random name
            first = await http.get(f"{base_url}/1/aliases.json",
                                   params={"secret": who.device.secret})
            c.redact.known(first.json()["aliases"][0]["name"], f"{who.device.name}mail")
        await scenario.pushover(c, ann, bob, token)
        await scenario.attachment(c, ann, token)
        await scenario.sales(c, server, bob, token)
        # The picture must have reached Ann's laptop: each arrival nudges its socket ("!").
        while not any("attachment" in m for m in await ann.device.download(http)):
            await ann.device.frame_other_than_keepalive()
        await scenario.open_client(c, server, ann, bob)
        await scenario.additions(c, server, ann, bob, token)
    finally:
        await bob.close()
    return doc, c


def operations(doc: dict[str, Any]) -> dict[str, set[int]]:
    """Each documented operation and the refusals (4xx) it documents, besides the ones every
    operation may give (413 too large, 429 too many): each is called here."""
    return {f"{m.upper()} {p}": {int(s) for s in op["responses"]
                                 if s.startswith("4") and s not in ("413", "429")}
            for p, ms in doc["paths"].items() for m, op in ms.items()}


async def test_every_operation_is_called_and_answers_as_documented(
        server: Runner, base_url: str, http: httpx.AsyncClient, ann: Person) -> None:
    token = await make_app(server.rt, ann.account, "Backups")
    doc, c = await exercise(server, base_url, http, ann, token)
    # Every answer was checked against the document as it came (Caller.call).
    assert c.problems == [], "\n".join(c.problems)
    for op, refusals in operations(doc).items():
        statuses = {call.status for call in c.calls if call.op == op}
        assert 200 in statuses, f"{op} is documented but never called with success here"
        assert refusals <= statuses, f"{op}: refusals {refusals - statuses} never called"
    assert {call.op for call in c.calls} <= set(operations(doc))

    live = examples(c.calls)
    if RECORD and server.rt.settings.database_url.startswith("sqlite"):
        EXAMPLES_FILE.write_text(json.dumps(live, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(EXAMPLES_FILE.read_text())
    assert sorted(recorded) == sorted(live), "record the examples again: make api-examples"
    for op, entry in recorded.items():
        assert sorted(entry["answers"]) == sorted(live[op]["answers"]), op
        for status, answer in entry["answers"].items():
            now = live[op]["answers"][status]
            assert answer["content_type"] == now["content_type"], (op, status)
            assert shape(answer["body"]) == shape(now["body"]), (
                f"{op} {status} answers another shape than its example: make api-examples")


async def test_recorded_examples_are_valid_and_served(http: httpx.AsyncClient, base_url: str,
                                                      server: Runner) -> None:
    doc = (await http.get(f"{base_url}/openapi.json")).json()
    recorded = json.loads(EXAMPLES_FILE.read_text())
    for op, entry in recorded.items():
        method, path = op.split(" ", 1)
        served = doc["paths"][path][method.lower()]
        for status, answer in entry["answers"].items():
            schema = response_schema(doc, op, int(status), answer["content_type"])
            content = served["responses"][status]["content"]
            if schema is None:
                continue
            jsonschema.validate(answer["body"], schema)
            assert content["application/json"]["example"] == answer["body"], (op, status)
        if "requestBody" in served and entry["request"]:
            body = served["requestBody"]["content"]["application/x-www-form-urlencoded"]
            assert body["example"] == entry["request"], op
