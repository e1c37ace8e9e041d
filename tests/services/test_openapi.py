"""The API reference keeps true: every /1/ route the app serves is in /openapi.json with its
parameters, the document is valid OpenAPI 3.1, and real answers match what it says."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
from openapi_spec_validator import validate

from services.api.reference.operations import OPERATIONS
from services.runner import Runner
from tests.factories import Person


def documented(doc: dict[str, Any]) -> set[str]:
    return {f"{m.upper()} {p}" for p, ms in doc["paths"].items() for m in ms}


async def test_every_route_is_documented(server: Runner, base_url: str,
                                         http: httpx.AsyncClient) -> None:
    r = await http.get(f"{base_url}/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    validate(doc)  # a valid OpenAPI 3.1 document
    assert doc["openapi"] == "3.1.0"
    # A route without an entry in services/api/reference/*_ops.py is marked, and named here.
    missing = sorted(f"{m.upper()} {p}" for p, ms in doc["paths"].items()
                     for m, op in ms.items() if op.get("x-undocumented"))
    assert missing == [], f"document these in services/api/reference/: {missing}"
    assert sorted(set(OPERATIONS) - documented(doc)) == []  # no entry for a route that left
    for path, methods in doc["paths"].items():
        assert path.startswith("/1/")
        for op in methods.values():
            assert op["summary"] and "200" in op["responses"]


def answer_schema(doc: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    content = doc["paths"][path][method]["responses"][str(status)]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    return {**schema, "components": doc["components"]} if "$ref" not in schema else \
        {"$ref": schema["$ref"], "components": doc["components"]}


async def test_answers_match_the_document(server: Runner, base_url: str,
                                          http: httpx.AsyncClient, ann: Person,
                                          token: str) -> None:
    doc = (await http.get(f"{base_url}/openapi.json")).json()
    dev = ann.device
    calls: list[tuple[str, str, str, dict[str, str], int]] = [
        ("post", "/1/messages.json", "/1/messages.json",
         {"token": token, "user": ann.key, "message": "hello"}, 200),
        ("post", "/1/messages.json", "/1/messages.json", {"token": "x", "message": ""}, 400),
        ("get", "/1/sounds.json", "/1/sounds.json", {"token": token}, 200),
        ("get", "/1/apps/limits.json", "/1/apps/limits.json", {"token": token}, 200),
        ("post", "/1/users/validate.json", "/1/users/validate.json",
         {"token": token, "user": ann.key}, 200),
        ("get", "/1/groups.json", "/1/groups.json", {"token": token}, 200),
        ("post", "/1/groups.json", "/1/groups.json", {"token": token, "name": "Ops"}, 200),
        ("get", "/1/licenses.json", "/1/licenses.json", {"token": token}, 200),
        ("get", "/1/messages.json", "/1/messages.json",
         {"secret": dev.secret, "device_id": dev.device_id}, 200),
        ("get", "/1/glances.json", "/1/glances.json",
         {"secret": dev.secret, "device_id": dev.device_id}, 200),
        ("get", "/1/aliases.json", "/1/aliases.json", {"secret": dev.secret}, 200),
        ("get", "/1/receipts/{receipt}.json", "/1/receipts/" + "r" * 30 + ".json",
         {"token": token}, 400),
        ("post", "/1/devices.json", "/1/devices.json", {"secret": dev.secret, "name": "bad name",
                                                        "os": "O"}, 400),
        # schemathesis found these: an unknown device's refusal carries `group` and `licenses`
        ("post", "/1/users/validate.json", "/1/users/validate.json",
         {"token": token, "user": ann.key, "device": "nosuch"}, 400),
        # and a bad secret is refused in the plain envelope
        ("post", "/1/devices.json", "/1/devices.json", {"secret": "", "name": "0", "os": "A"},
         400),
        ("get", "/1/scheduled.json", "/1/scheduled.json", {"token": token}, 200),
        ("get", "/1/heartbeats.json", "/1/heartbeats.json", {"token": token}, 200),
        ("get", "/1/escalations.json", "/1/escalations.json", {"token": token}, 200),
        ("get", "/1/webpush/key.json", "/1/webpush/key.json", {}, 200),
    ]
    for method, path, url, params, status in calls:
        if method == "get":
            r = await http.get(base_url + url, params=params)
        else:
            r = await http.post(base_url + url, data=params)
        assert r.status_code == status, (path, r.text)
        assert str(status) in doc["paths"][path][method]["responses"], (path, status)
        jsonschema.validate(r.json(), answer_schema(doc, path, method, status))
