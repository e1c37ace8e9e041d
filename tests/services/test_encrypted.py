"""Pushover's end-to-end encryption, server side (issue 17 §1): `encrypted=1` fields are
stored untouched and marked `"encrypted": 1` in downloads and phone payloads."""

from __future__ import annotations

import base64
import json
import os

import httpx
from overpush.delivery.alerting import Alert
from overpush.delivery.push import PhoneMessage

from services.dispatcher.providers import apns, fcm
from services.runner import Runner
from tests.factories import Person


def cipher(n_bytes: int) -> str:
    return base64.b64encode(os.urandom(n_bytes)).decode()


async def test_encrypted_message_is_downloaded_untouched_and_marked(
    server: Runner, http: httpx.AsyncClient, base_url: str, token: str, ann: Person
) -> None:
    fields = {"message": cipher(2000), "title": cipher(400), "url": cipher(700),
              "url_title": cipher(120)}
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "encrypted": "1", "html": "1", **fields})
    assert r.status_code == 200, r.text
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "message": "in the clear"})
    assert r.status_code == 200, r.text
    sealed, clear = await ann.device.receive(http, 2)
    assert sealed["encrypted"] == 1 and sealed["html"] == 1
    assert {k: sealed[k] for k in fields} == fields
    assert "encrypted" not in clear and clear["message"] == "in the clear"
    # Plaintext limits still hold without the flag.
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "message": fields["message"]})
    assert r.status_code == 400 and r.json()["errors"] == [
        "message is too long; the limit is 1024 characters"]


def _phone(encrypted: bool, key: str | None = None) -> PhoneMessage:
    return PhoneMessage(token="t", device_id="dev1", key=key, message_id=7, title="VGl0bGU=",
                        body="Ym9keQ==", url=None, badge=1,
                        alert=Alert(visible=True, sound=None, level="active", urgent=False),
                        ttl=None, encrypted=encrypted)


def test_phone_payloads_mark_ciphertext_and_never_show_it() -> None:
    payload = apns.payload(_phone(True))
    assert payload["encrypted"] == "1" and payload["aps"]["mutable-content"] == 1
    assert (payload["title"], payload["message"]) == ("VGl0bGU=", "Ym9keQ==")
    assert "Ym9keQ==" not in json.dumps(payload["aps"])  # the alert shows a placeholder
    data = fcm.message(_phone(True))["data"]
    assert data["encrypted"] == "1" and data["message"] == "Ym9keQ=="
    assert "encrypted" not in apns.payload(_phone(False))
    assert "encrypted" not in fcm.message(_phone(False))["data"]
