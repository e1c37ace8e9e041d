"""The OpenAPI 3.1 document of /1/: paths, methods and path parameters from the FastAPI
routes; parameters, limits and answers from the hand-kept table (`operations`), because the
routes read their parameters by hand (query, form, multipart or JSON alike); examples from real
calls (`examples`)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute

from services.api.reference.examples import answer_of, path_params_of, request_of
from services.api.reference.operations import OPERATIONS
from services.api.reference.shapes import COMPONENTS, LIMIT_HEADERS, Op, ok_schema

TAG_ORDER = ("Pushover API", "Groups", "Licences", "Subscriptions", "Teams", "Open Client API",
             "Overpush additions")
BODY_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "application/json")
COMMON_ERRORS = {413: "the request body is larger than allowed",
                 429: "too many requests; see the limit headers",
                 503: "the server cannot reach its database or bus right now; retry"}
INTRO = """Overpush speaks the [Pushover API](https://pushover.net/api) and its Open Client API,
plus a few additions of its own. Every endpoint reads its parameters from the query string and
from the body alike (urlencoded, multipart or JSON); a repeated parameter is joined with commas.

Every answer is JSON with `status` (1 or 0) and `request` (the request's id). Errors add
`errors`, a list of sentences, and for each field at fault a key naming it
(`"token": "invalid"`). Replace `.json` with `.xml` in any path for the same answer as XML
(`<hash><status>1</status>...</hash>`)."""


def build(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """No `servers`: the document describes the server that serves it."""
    with warnings.catch_warnings():  # one function on two methods: ids are made below
        warnings.simplefilter("ignore", UserWarning)
        base = get_openapi(title="Overpush API", version=version("overpush"),
                           openapi_version="3.1.0", routes=routes)
    paths: dict[str, Any] = {}
    for path, methods in base["paths"].items():
        if not path.startswith("/1/"):
            continue
        for method, generated in methods.items():
            entry = OPERATIONS.get(f"{method.upper()} {path}")
            paths.setdefault(path, {})[method] = operation(method, path, generated, entry)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Overpush API", "version": base["info"]["version"],
                 "description": INTRO},
        "paths": paths,
        "components": COMPONENTS,
        "tags": [{"name": t} for t in TAG_ORDER
                 if any(o.tag == t for o in OPERATIONS.values())],
    }


def operation_id(method: str, path: str) -> str:
    return method + "_" + re.sub(r"[^A-Za-z0-9]+", "_", path.removesuffix(".json")).strip("_")


def operation(method: str, path: str, generated: dict[str, Any],
              entry: Op | None) -> dict[str, Any]:
    name = f"{method.upper()} {path}"
    path_params = [_path_param(p, path_params_of(name)) for p in generated.get("parameters", [])
                   if p.get("in") == "path"]
    out: dict[str, Any] = {
        "operationId": operation_id(method, path),
        "summary": entry.summary if entry else generated.get("summary", ""),
    }
    description = generated.get("description") or (entry.description if entry else "")
    if path.endswith(".json"):
        description += f"\n\nAs XML: `{path.removesuffix('.json')}.xml`."
    out["description"] = description.strip()
    if entry is None:
        out["x-undocumented"] = True  # the coverage test names it
        out["parameters"] = path_params
        out["responses"] = {"200": {"description": "not documented yet"}}
        return out
    out["tags"] = [entry.tag]
    query, body = _params(method, entry, request_of(name))
    out["parameters"] = path_params + query
    if body is not None:
        out["requestBody"] = body
    out["responses"] = _responses(entry, name)
    return out


def _path_param(p: dict[str, Any], examples: dict[str, str]) -> dict[str, Any]:
    example = {"example": examples[p["name"]]} if p["name"] in examples else {}
    return {"name": p["name"], "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200}, **example}


def _params(method: str, entry: Op, example: dict[str, Any]
            ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    if method == "get" or not entry.params:
        return [{"name": p.name, "in": "query", "required": p.required,
                 "description": p.description, "schema": p.schema,
                 **({"example": example[p.name]} if p.name in example else {})}
                for p in entry.params], None
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {p.name: {**p.schema, "description": p.description}
                       for p in entry.params},
    }
    required = [p.name for p in entry.params if p.required]
    if required:
        schema["required"] = required
    content = {t: {"schema": schema, **({"example": example} if example else {})}
               for t in BODY_TYPES}
    return [], {"required": bool(required), "content": content}


def _example(op: str, status: int) -> dict[str, Any]:
    body = answer_of(op, status)
    return {} if body is None else {"example": body}


def _responses(entry: Op, op: str) -> dict[str, Any]:
    ok = ok_schema(entry.answer)
    if entry.answer_type == "application/json":
        content: dict[str, Any] = {"application/json": {"schema": ok, **_example(op, 200)}}
    else:
        content = {entry.answer_type: {"schema": {"type": "string", "format": "binary"}}}
    out: dict[str, Any] = {"200": {"description": "done", "content": content}}
    if entry.limit_headers:
        out["200"]["headers"] = LIMIT_HEADERS
    for status in entry.errors:
        shape: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
        if status == 400 and entry.error_schema != "Error":
            # A bad credential is refused in the plain envelope before the fields are read.
            shape = {"anyOf": [{"$ref": f"#/components/schemas/{entry.error_schema}"}, shape]}
        out[str(status)] = {"description": "refused: the answer says why", "content": {
            "application/json": {"schema": shape, **_example(op, status)}}}
    for status, why in COMMON_ERRORS.items():
        out[str(status)] = {"description": why, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return out
