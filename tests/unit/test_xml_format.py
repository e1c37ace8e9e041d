"""The XML shape chosen for `.xml` answers (unconfirmed upstream; see services/api/xml_format)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.api.xml_format import is_xml_path, to_xml


def one(root: ET.Element, path: str) -> ET.Element:
    found = root.find(path)
    assert found is not None, path
    return found


def test_shape_of_values() -> None:
    raw = to_xml({
        "status": 1, "request": "r-1", "ok": True, "none": None, "ratio": 0.5,
        "errors": ["a <b> & c", "bell\x07 rings"], "sounds": {"pushover": "Pushover", "1up": "1"},
        "users": [{"user": "u", "disabled": False}], "xmlish": "x",
    })
    assert raw.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<hash>")
    root = ET.fromstring(raw)
    assert root.tag == "hash"
    assert (one(root, "status").attrib, one(root, "status").text) == ({"type": "integer"}, "1")
    assert root.findtext("request") == "r-1" and root.findtext("ok") == "true"
    assert one(root, "none").attrib == {"nil": "true"}
    assert root.findtext("ratio") == "0.5"
    assert [e.text for e in root.findall("errors/error")] == ["a <b> & c", "bell\ufffd rings"]
    assert one(root, "errors").attrib == {"type": "array"}
    assert root.findtext("sounds/pushover") == "Pushover"
    assert one(root, "sounds/item").attrib == {"key": "1up"}
    assert root.findtext("users/user/user") == "u"
    assert root.findtext("users/user/disabled") == "false"
    assert one(root, "item").attrib == {"key": "xmlish"}


def test_only_api_paths() -> None:
    assert is_xml_path("/1/messages.xml") and is_xml_path("/1/receipts/abc/cancel.xml")
    assert not is_xml_path("/1/messages.json") and not is_xml_path("/static/a.xml")
