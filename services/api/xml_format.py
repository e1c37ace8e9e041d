"""XML answers (spec §0): `/1/<anything>.xml` is served as `.json` and the body turned into XML.

Pushover documents the .xml variant but not its shape, so this is our choice (unconfirmed
upstream), modelled on Rails' Hash#to_xml, which Pushover's answers resemble:

    <?xml version='1.0' encoding='utf-8'?>
    <hash>
      <status type="integer">1</status>
      <request>5042853c-402d-4a18-abcb-168734a801de</request>
      <errors type="array"><error>application token is invalid</error></errors>
    </hash>

Keys keep their underscores; integers and booleans say their type; an array's items are named
by its key without the trailing "s" (`messages` -> `message`, else `item`); null is
`nil="true"`; a key that is not an XML name (a custom sound called "1up") becomes
`<item key="1up">`. Status codes and headers (X-Limit-*, Allow) are the JSON answer's own.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Characters XML 1.0 cannot carry at all (C0 controls but tab, CR, LF; lone surrogates).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    return NOT_XML.sub("\ufffd", value)


def _element(parent: ET.Element, key: str, value: Any) -> None:
    if NAME.match(key) and not key.lower().startswith("xml"):
        node = ET.SubElement(parent, key)
    else:
        node = ET.SubElement(parent, "item", key=_text(key))
    _fill(node, key, value)


def _fill(node: ET.Element, key: str, value: Any) -> None:
    if value is None:
        node.set("nil", "true")
    elif isinstance(value, bool):
        node.set("type", "boolean")
        node.text = "true" if value else "false"
    elif isinstance(value, int):
        node.set("type", "integer")
        node.text = str(value)
    elif isinstance(value, float):
        node.set("type", "float")
        node.text = repr(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _element(node, str(k), v)
    elif isinstance(value, list):
        node.set("type", "array")
        item = key[:-1] if key.endswith("s") and len(key) > 1 and NAME.match(key) else "item"
        for v in value:
            _fill(ET.SubElement(node, item), item, v)
    else:
        node.text = _text(str(value))


def to_xml(data: Any) -> bytes:
    root = ET.Element("hash")
    if isinstance(data, dict):
        _fill(root, "hash", data)
    else:
        _fill(root, "item", data)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def is_xml_path(path: str) -> bool:
    return path.startswith("/1/") and path.endswith(".xml")


class XmlFormat:
    """ASGI middleware: route `.xml` API paths as `.json`, and rewrite JSON bodies as XML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_xml_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope["path"] = scope["path"][:-4] + ".json"
        raw = scope.get("raw_path")
        if isinstance(raw, bytes) and raw.endswith(b".xml"):
            scope["raw_path"] = raw[:-4] + b".json"
        start: Message = {}
        chunks: list[bytes] = []

        async def convert(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await _send_converted(send, start, b"".join(chunks))

        await self.app(scope, receive, convert)


async def _send_converted(send: Send, start: Message, body: bytes) -> None:
    headers = list(start.get("headers", []))
    ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if ctype.startswith(b"application/json"):
        body = to_xml(json.loads(body))
        ctype = b"application/xml; charset=utf-8"
    headers = [(k, v) for k, v in headers if k.lower() not in (b"content-type",
                                                               b"content-length")]
    headers += [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
