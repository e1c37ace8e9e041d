"""Building blocks of the hand-kept table: parameters with their limits, answers, and the
schemas every operation shares (Pushover's envelopes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KEY = {"type": "string", "pattern": "^[A-Za-z0-9]{30}$", "minLength": 30, "maxLength": 30}
REQUEST_ID = {"type": "string", "format": "uuid", "description": "this request's id"}


@dataclass(frozen=True)
class P:
    """One parameter: a form field, JSON key or query-string value (all three are read)."""

    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


def key(name: str, what: str, required: bool = True) -> P:
    return P(name, what, dict(KEY), required)


def text(name: str, what: str, max_length: int | None = None, required: bool = False,
         **more: Any) -> P:
    schema: dict[str, Any] = {"type": "string", **more}
    if max_length is not None:
        schema["maxLength"] = max_length
    return P(name, what, schema, required)


def integer(name: str, what: str, minimum: int | None = None, maximum: int | None = None,
            required: bool = False) -> P:
    schema: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return P(name, what, schema, required)


def flag(name: str, what: str) -> P:
    return P(name, what, {"type": "integer", "enum": [0, 1]}, False)


TOKEN = key("token", "the application's API token")
SECRET = text("secret", "the session secret from POST /1/users/login.json", 64, True)
DEVICE_ID = text("device_id", "the device's id from POST /1/devices.json", 40, True)


@dataclass(frozen=True)
class Op:
    """What FastAPI cannot see of one operation: its parameters and its answer (the examples
    are recorded from real calls: examples.json)."""

    summary: str
    params: list[P] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)  # properties beyond status/request
    errors: tuple[int, ...] = (400,)  # statuses besides 200 (and 413, 429, 503 for all)
    tag: str = "Pushover API"
    description: str = ""
    error_schema: str = "Error"
    answer_type: str = "application/json"
    limit_headers: bool = False  # answers with the application's X-Limit-App-* headers


LIMIT_HEADERS: dict[str, Any] = {
    f"X-Limit-App-{name}": {"description": what, "schema": {"type": "string",
                                                           "pattern": "^[0-9]+$"}}
    for name, what in (("Limit", "the application's messages a month"),
                       ("Remaining", "messages left this month"),
                       ("Reset", "when the count starts again (Unix time)"))}


def ok_schema(props: dict[str, Any]) -> dict[str, Any]:
    required = ["status", "request"]
    # Closed: a field the server adds without documenting it fails tests/services/
    # test_openapi_calls.py (and schemathesis's conformance check).
    return {"type": "object", "required": required, "additionalProperties": False,
            "properties": {"status": {"type": "integer", "const": 1}, "request": REQUEST_ID,
                           **props}}


COMPONENTS: dict[str, Any] = {"schemas": {
    "Error": {
        "type": "object", "required": ["status", "errors", "request"],
        "description": "Pushover's error envelope: the list of problems, and for each field "
                       "at fault a key naming it (e.g. `\"token\": \"invalid\"`).",
        "properties": {"status": {"type": "integer", "const": 0},
                       "errors": {"type": "array", "items": {"type": "string"}},
                       "request": REQUEST_ID},
        # users/validate.json's refusal also carries its `group` flag and `licenses` list
        "additionalProperties": {"type": ["string", "integer", "array"]},
    },
    "FieldErrors": {
        "type": "object", "required": ["status", "errors", "request"],
        "description": "POST /1/devices.json answers its problems as an object of arrays.",
        "properties": {"status": {"type": "integer", "const": 0},
                       "errors": {"type": "object", "additionalProperties": {
                           "type": "array", "items": {"type": "string"}}},
                       "request": REQUEST_ID},
    },
}}
