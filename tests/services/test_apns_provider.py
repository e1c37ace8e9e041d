"""The APNs provider against a fake Apple speaking HTTP/2 over TLS: requests and outcomes."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from overpush.crypto import new_key, open_sealed
from overpush.delivery.alerting import Alert
from overpush.delivery.fanout import Target
from overpush.delivery.push import Outcome, PhoneMessage, Push
from overpush.settings import Settings

from services.dispatcher.providers.apns import ApnsProvider
from tests.fakes.apns import HOST, FakeApns, p8_key

LOUD = Alert(visible=True, sound="bike", level="active", urgent=True)
TOKENS = {name: f"{i:02x}" * 32 for i, name in enumerate(("ok", "gone", "busy", "broken"), 1)}


@pytest.fixture
async def fake() -> AsyncIterator[FakeApns]:
    server = FakeApns()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def provider(fake: FakeApns, tmp_path: Path) -> AsyncIterator[ApnsProvider]:
    settings = Settings(
        apns_key=p8_key(), apns_key_id="ABC123DEFG", apns_team_id="TEAM123456",
        apns_topic="net.example.overpush", apns_host=HOST, apns_port=fake.port,
        apns_ca_file=fake.ca_file(tmp_path))
    p = ApnsProvider.from_settings(settings)
    assert p is not None
    yield p
    await p.close()


def phone(token: str, body: str = "Backup finished", key: str | None = None,
          alert: Alert = LOUD, ttl: int | None = 3600) -> PhoneMessage:
    return PhoneMessage(token=token, device_id="dev1", key=key, message_id=42,
                        title="Backups", body=body, url=None, badge=3, alert=alert, ttl=ttl)


def push(pm: PhoneMessage) -> Push:
    return Push(Target(1, "dev1", "iphone", "I"), pm.message_id, 0, pm)


async def test_outcomes(fake: FakeApns, provider: ApnsProvider) -> None:
    fake.answer(TOKENS["gone"], (410, "Unregistered"))
    fake.answer(TOKENS["busy"], (429, "TooManyRequests"))
    fake.answer(TOKENS["broken"], (500, "InternalServerError"))
    results = await provider.send([push(phone(t)) for t in TOKENS.values()])
    assert [r.outcome for r in results] == [
        Outcome.DELIVERED, Outcome.GONE, Outcome.RETRY, Outcome.RETRY]
    bad = await provider.send([push(phone("ab" * 32))])
    assert bad[0].outcome is Outcome.DELIVERED  # no script: 200
    fake.answer("cd" * 32, (400, "BadDeviceToken"))
    fake.answer("ef" * 32, (400, "BadCollapseId"))
    results = await provider.send([push(phone("cd" * 32)), push(phone("ef" * 32))])
    assert [r.outcome for r in results] == [Outcome.GONE, Outcome.REJECTED]


async def test_request_headers_and_payload(fake: FakeApns, provider: ApnsProvider) -> None:
    await provider.send([push(phone(TOKENS["ok"]))])
    (req,) = fake.for_token(TOKENS["ok"])
    h = req.headers
    assert (h["apns-topic"], h["apns-priority"], h["apns-push-type"]) == (
        "net.example.overpush", "10", "alert")
    assert h["apns-collapse-id"] == "overpush-42"
    assert int(h["apns-expiration"]) > 1_700_000_000
    scheme, jwt = h["authorization"].split(" ", 1)
    header = json.loads(base64.urlsafe_b64decode(jwt.split(".")[0] + "=="))
    assert (scheme, header["alg"], header["kid"]) == ("bearer", "ES256", "ABC123DEFG")
    aps = req.payload["aps"]
    assert aps["alert"] == {"title": "Backups", "body": "Backup finished"}
    assert (aps["sound"], aps["badge"], aps["interruption-level"]) == ("bike.caf", 3, "active")
    assert req.payload["umid"] == "42"


async def test_long_message_is_shortened_under_4k(fake: FakeApns,
                                                  provider: ApnsProvider) -> None:
    body = "ü" * 3000  # 6000 bytes in UTF-8
    results = await provider.send([push(phone(TOKENS["ok"], body=body))])
    assert results[0].outcome is Outcome.DELIVERED
    (req,) = fake.for_token(TOKENS["ok"])
    raw = json.dumps(req.payload, ensure_ascii=False).encode()
    assert 3900 < len(raw) <= 4096
    assert req.payload["trunc"] == "1" and req.payload["aps"]["alert"]["body"].endswith("…")


async def test_silent_and_background(fake: FakeApns, provider: ApnsProvider) -> None:
    quiet = Alert(visible=True, sound=None, level="passive", urgent=False, quiet=True)
    hidden = Alert(visible=False, sound=None, level="passive", urgent=False)
    await provider.send([push(phone(TOKENS["ok"], alert=quiet, ttl=None)),
                         push(phone(TOKENS["busy"], alert=hidden))])
    (q,) = fake.for_token(TOKENS["ok"])
    assert q.headers["apns-priority"] == "5" and "sound" not in q.payload["aps"]
    assert q.payload["aps"]["interruption-level"] == "passive"
    assert "apns-expiration" not in q.headers
    (b,) = fake.for_token(TOKENS["busy"])
    assert b.headers["apns-push-type"] == "background" and b.headers["apns-priority"] == "5"
    assert b.payload["aps"] == {"content-available": 1, "badge": 3}


async def test_encrypted_device(fake: FakeApns, provider: ApnsProvider) -> None:
    key = new_key()
    await provider.send([push(phone(TOKENS["ok"], body="the password is hunter2", key=key))])
    (req,) = fake.for_token(TOKENS["ok"])
    assert "hunter2" not in json.dumps(req.payload)
    assert req.payload["aps"]["mutable-content"] == 1
    clear = json.loads(open_sealed(key, req.payload["enc"], b"dev1"))
    assert clear == {"title": "Backups", "message": "the password is hunter2"}


async def test_unreachable_server_is_retry(tmp_path: Path) -> None:
    from testkit.backends import free_port

    server = FakeApns()
    settings = Settings(
        apns_key=p8_key(), apns_key_id="ABC123DEFG", apns_team_id="TEAM123456",
        apns_topic="net.example.overpush", apns_host=HOST, apns_port=free_port(),
        apns_ca_file=server.ca_file(tmp_path), push_timeout=5)
    p = ApnsProvider.from_settings(settings)
    assert p is not None
    try:
        results = await p.send([push(phone(TOKENS["ok"]))])
    finally:
        await p.close()
    assert results[0].outcome is Outcome.RETRY


def test_not_configured_without_key() -> None:
    assert ApnsProvider.from_settings(Settings()) is None
