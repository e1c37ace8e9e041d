"""`.xml` instead of `.json` in an API path: the same answer (status, headers) as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from services.runner import Runner
from tests.factories import make_app, make_user, user_with_device


def xml_of(r: httpx.Response) -> ET.Element:
    assert r.headers["content-type"] == "application/xml; charset=utf-8", r.headers
    assert r.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(r.content)
    assert root.tag == "hash"
    return root


async def test_xml_answers(server: Runner, base_url: str) -> None:
    rt = server.rt
    token = await make_app(rt, await make_user(rt), name="Xml")
    async with httpx.AsyncClient(base_url=f"{base_url}/1", timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, name="desk", connect=True)
        r = await http.post("/messages.xml", data={
            "token": token, "user": dev.user_key, "message": "in <xml> & out", "priority": "2",
            "retry": "60", "expire": "600"})
        root = xml_of(r)
        assert r.status_code == 200 and root.findtext("status") == "1"
        receipt = root.findtext("receipt") or ""
        assert len(receipt) == 30 and len(root.findtext("request") or "") == 36
        assert r.headers["X-Limit-App-Remaining"] == "7499"

        assert await dev.frame_other_than_keepalive() == b"!"  # queued for the device
        r = await http.get("/messages.xml", params={"secret": dev.secret,
                                                    "device_id": dev.device_id})
        root = xml_of(r)
        [m] = root.findall("messages/message")
        assert m.findtext("message") == "in <xml> & out" and m.findtext("receipt") == receipt
        priority = m.find("priority")
        assert priority is not None and priority.attrib == {"type": "integer"}
        assert priority.text == "2"

        root = xml_of(await http.get(f"/receipts/{receipt}.xml", params={"token": token}))
        assert (root.findtext("acknowledged"), root.findtext("expired")) == ("0", "0")
        root = xml_of(await http.post(f"/receipts/{receipt}/cancel.xml", data={"token": token}))
        assert root.findtext("status") == "1"

        root = xml_of(await http.get("/sounds.xml", params={"token": token}))
        assert root.findtext("sounds/pushover") == "Pushover (default)"
        root = xml_of(await http.post("/users/validate.xml",
                                      data={"token": token, "user": dev.user_key}))
        assert [d.text for d in root.findall("devices/device")] == ["desk"]
        root = xml_of(await http.get("/apps/limits.xml", params={"token": token}))
        assert root.findtext("limit") == "7500" and root.findtext("remaining") == "7499"

        # Errors too: same status, the envelope as XML.
        r = await http.post("/messages.xml", data={"token": "x" * 30, "user": dev.user_key,
                                                   "message": "hi"})
        root = xml_of(r)
        assert r.status_code == 400 and root.findtext("token") == "invalid"
        assert root.findtext("status") == "0"
        assert [e.text for e in root.findall("errors/error")] == ["application token is invalid"]
        r = await http.get("/no/such/thing.xml")
        assert r.status_code == 404 and xml_of(r).findtext("status") == "0"
        # JSON is untouched.
        r = await http.get("/sounds.json", params={"token": token})
        assert r.json()["status"] == 1
        await dev.close()
