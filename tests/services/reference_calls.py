"""A recorder of real calls against /openapi.json: each call is checked against the document
(status, content type, body schema; the .xml form parses with its <hash> root), and kept with
its volatile values (keys, secrets, request ids, the port) replaced by stable, recognisable
placeholders, so the calls can become the document's examples (services/api/reference/
examples.json) and be compared with it."""

from __future__ import annotations

import fnmatch
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema

# Keys, tokens, secrets, device ids, Web Push keys: long runs of these characters.
VOLATILE = re.compile(r"^[A-Za-z0-9_-]{20,}$")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PUBLIC_URL = "https://push.example.com"


@dataclass
class Redactor:
    """Replaces each volatile value, wherever it appears, by a placeholder made from the name
    of the field it first appeared in and a counter (`token00000000000000000000001`): the same
    length and alphabet, so it still matches the documented pattern."""

    names: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def known(self, value: str, placeholder: str) -> None:
        self.names.setdefault(value, placeholder)

    def _learn(self, value: str, name: str) -> None:
        if value in self.names or UUID.fullmatch(value) or not VOLATILE.match(value):
            return
        prefix = re.sub(r"[^A-Za-z0-9]", "", name)[:12] or "value"
        n = self.counts[prefix] = self.counts.get(prefix, 0) + 1
        self.names[value] = prefix + str(n).rjust(len(value) - len(prefix), "0")

    def _text(self, value: str) -> str:
        for uuid in UUID.findall(value):
            n = self.counts["uuid"] = self.counts.get("uuid", 0) + 1
            self.names.setdefault(uuid, f"00000000-0000-4000-8000-{n:012d}")
        for real in sorted(self.names, key=len, reverse=True):
            if real in value:
                value = value.replace(real, self.names[real])
        return value

    def __call__(self, obj: Any, name: str = "value") -> Any:
        if isinstance(obj, dict):
            return {k: self(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self(v, name) for v in obj]
        if isinstance(obj, str):
            self._learn(obj, name)
            return self._text(obj)
        return obj


@dataclass
class Call:
    op: str  # "POST /1/groups/{key}/rename.json", as the document names it
    path: str  # with its path parameters, redacted
    request: dict[str, Any]  # redacted
    status: int
    content_type: str
    answer: Any  # the redacted JSON body; None for bytes


def shape(obj: Any) -> Any:
    """What an example and a live answer must share: keys and value types, not values."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return sorted({repr(shape(v)) for v in obj})
    return type(obj).__name__


def response_schema(doc: dict[str, Any], op: str, status: int,
                    content_type: str) -> dict[str, Any] | None:
    """The documented schema of this answer, with the document's components; None when the
    documented content is not JSON."""
    method, path = op.split(" ", 1)
    content = doc["paths"][path][method.lower()]["responses"][str(status)]["content"]
    documented = [t for t in content if fnmatch.fnmatch(content_type, t)]
    assert documented, f"{op} {status}: {content_type} is not one of {list(content)}"
    if documented[0] != "application/json":
        return None
    return {**content["application/json"]["schema"], "components": doc["components"]}


@dataclass
class Caller:
    http: httpx.AsyncClient
    base_url: str
    doc: dict[str, Any]
    redact: Redactor = field(default_factory=Redactor)
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # answers unlike their documentation

    def __post_init__(self) -> None:
        self.redact.known(self.base_url, PUBLIC_URL)

    async def _send(self, method: str, path: str, params: dict[str, str],
                    files: dict[str, Any] | None) -> httpx.Response:
        if method == "GET":
            return await self.http.get(self.base_url + path, params=params)
        return await self.http.post(self.base_url + path, data=params, files=files)

    async def call(self, op: str, params: dict[str, str], path: str | None = None,
                   expect: int = 200, files: dict[str, Any] | None = None) -> Any:
        """Calls `op` (at `path`, when it has path parameters), checks the answer against the
        document and keeps it; returns the JSON body (or the bytes)."""
        method, doc_path = op.split(" ", 1)
        path = path or doc_path
        r = await self._send(method, path, params, files)
        assert r.status_code == expect, (op, params, r.status_code, r.text[:300])
        responses = self.doc["paths"][doc_path][method.lower()]["responses"]
        assert str(expect) in responses, f"{op} answered {expect}, which is not documented"
        content_type = r.headers["content-type"].split(";")[0]
        schema = response_schema(self.doc, op, expect, content_type)
        body = r.json() if schema is not None else None
        if schema is not None:
            for e in jsonschema.Draft202012Validator(schema).iter_errors(body):
                self.problems.append(f"{op} {expect}: {e.message} at {list(e.absolute_path)}")
        if expect == 200:  # the allowance headers: present exactly where documented
            documented = {h.lower() for h in responses["200"].get("headers", {})}
            sent = {h.lower() for h in r.headers if h.lower().startswith("x-limit-")}
            if documented != sent:
                self.problems.append(f"{op}: sends headers {sorted(sent)}, documents "
                                     f"{sorted(documented)}")
        if path.endswith(".json") and (method == "GET" or expect >= 400):
            await self._xml(method, path, params, expect)  # no side effects: safe to repeat
        self.calls.append(Call(op, self.redact(path), self.redact(params), expect,
                               content_type, self.redact(body)))
        return body if schema is not None else r.content

    async def _xml(self, method: str, path: str, params: dict[str, str], expect: int) -> None:
        r = await self._send(method, path.removesuffix(".json") + ".xml", params, None)
        assert r.status_code == expect, (path, r.text[:300])
        assert r.headers["content-type"].startswith("application/xml"), r.headers
        root = ET.fromstring(r.content)
        assert root.tag == "hash", r.text[:300]
        assert root.findtext("status") == ("1" if expect < 400 else "0"), r.text[:300]


def examples(calls: list[Call]) -> dict[str, Any]:
    """The first call of each operation and status, as the document's examples."""
    out: dict[str, Any] = {}
    for c in calls:
        entry = out.setdefault(c.op, {"path": c.path, "request": c.request, "answers": {}})
        if c.status == 200 and "200" not in entry["answers"]:  # the request of the success
            entry["path"], entry["request"] = c.path, c.request
        entry["answers"].setdefault(str(c.status), {"content_type": c.content_type,
                                                    "body": c.answer})
    return out
