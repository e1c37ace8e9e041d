"""The Web Push provider against the fake push service (real HTTPS on loopback): outcomes,
certificate checks, address checks at send time, what is never sent, and its settings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from overpush import webpush
from overpush.delivery.alerting import Alert
from overpush.delivery.fanout import Target
from overpush.delivery.push import Outcome, PhoneMessage, Push, Result
from overpush.runtime import Runtime

from services.dispatcher.providers.base import retry_after_seconds
from services.dispatcher.providers.webpush import (
    WebPushProvider,
    classify,
    topic,
    urgency,
)
from tests.fakes.webpush import FakePushService

LOUD = Alert(visible=True, sound="bike", level="active", urgent=True)


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> AsyncIterator[FakePushService]:
    service = FakePushService(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", service.ca_file)
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def provider(runtime: Runtime, fake: FakePushService) -> AsyncIterator[WebPushProvider]:
    runtime.settings = runtime.settings.model_copy(update={"callback_allow_private": True})
    fake.server_key = webpush.public_key(await webpush.private_pem(runtime))
    p = WebPushProvider.from_runtime(runtime)
    assert p is not None
    yield p
    await p.close()


def push(fake: FakePushService, sub_id: str, priority: int = 0, ttl: int | None = 60,
         token: str | None = None) -> Push:
    if token is None:
        endpoint, browser = fake.subscribe(sub_id)
        token = webpush.check(endpoint, **browser.keys()).token
    pm = PhoneMessage(token=token, device_id="dev1", key=None, message_id=7, title="Backups",
                      body="done", url=None, badge=1, alert=LOUD, ttl=ttl, app="Backups")
    return Push(Target(1, "dev1", "laptop", "O"), 7, priority, pm)


async def test_outcomes(fake: FakePushService, provider: WebPushProvider) -> None:
    subs = ["ok", "gone404", "gone410", "sick", "busy", "bad"]
    pushes = [push(fake, s) for s in subs]
    fake.answer("gone404", (404, None))
    fake.answer("gone410", (410, None))
    fake.answer("sick", (500, None))
    fake.answer("busy", (503, "7"))
    fake.answer("bad", (400, None))
    results = await provider.send(pushes)
    assert [r.outcome for r in results] == [
        Outcome.DELIVERED, Outcome.GONE, Outcome.GONE, Outcome.RETRY, Outcome.RETRY,
        Outcome.REJECTED]
    assert results[4].retry_after == 7
    assert fake.refused == [] and len(fake.received) == 6
    # One VAPID token per push service, reused while it is fresh.
    assert len({r.headers["authorization"] for r in fake.received}) == 1


async def test_certificates_are_verified(fake: FakePushService, provider: WebPushProvider,
                                         runtime: Runtime, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A push service whose certificate our trust store does not vouch for gets nothing."""
    monkeypatch.delenv("SSL_CERT_FILE")
    (tmp_path / "other").mkdir()
    stranger = FakePushService(tmp_path / "other", server_key=fake.server_key)
    await stranger.start()
    try:
        strict = WebPushProvider.from_runtime(runtime)  # trusts certifi's CAs only
        assert strict is not None
        (result,) = await strict.send([push(stranger, "x")])
        await strict.close()
    finally:
        await stranger.stop()
    assert result.outcome is Outcome.RETRY
    assert stranger.received == []


async def test_addresses_checked_at_send_time(fake: FakePushService,
                                              provider: WebPushProvider,
                                              runtime: Runtime) -> None:
    """A subscription that reached the database (or whose host now resolves elsewhere) is
    checked again before each send: loopback is refused unless allowed."""
    runtime.settings = runtime.settings.model_copy(update={"callback_allow_private": False})
    strict = WebPushProvider.from_runtime(runtime)
    assert strict is not None
    (result,) = await strict.send([push(fake, "x")])
    await strict.close()
    assert result.outcome is Outcome.REJECTED and "private" in result.reason
    assert fake.received == []


async def test_never_sent(fake: FakePushService, provider: WebPushProvider) -> None:
    results = await provider.send([
        push(fake, "lowest", priority=-2),  # browsers must show every push: none at all
        push(fake, "expired", ttl=0),
        push(fake, "odd", token="not a subscription"),
    ])
    assert [r.outcome for r in results] == [Outcome.REJECTED, Outcome.REJECTED, Outcome.GONE]
    assert fake.received == []


async def test_unreachable_is_retry(runtime: Runtime, fake: FakePushService) -> None:
    runtime.settings = runtime.settings.model_copy(update={"callback_allow_private": True})
    p = WebPushProvider.from_runtime(runtime)
    assert p is not None
    await fake.stop()
    (result,) = await p.send([push(fake, "x")])
    await p.close()
    assert result.outcome is Outcome.RETRY


async def test_unusable_settings_turn_it_off(runtime: Runtime) -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    for update in ({"vapid_private_key": rsa_pem}, {"vapid_private_key": "junk"},
                   {"vapid_subject": "ops@example.com"}):
        runtime.settings = runtime.settings.model_copy(update=update)
        assert WebPushProvider.from_runtime(runtime) is None, update
        runtime.settings = runtime.settings.model_copy(
            update={"vapid_private_key": "", "vapid_subject": ""})
    assert WebPushProvider.from_runtime(runtime) is not None


def test_rules() -> None:
    assert [urgency(p) for p in (-1, 0, 1, 2)] == ["low", "normal", "high", "high"]
    longest = topic(2**63 - 1)
    assert len(longest) <= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", longest)
    now = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Fri, 27 Nov 2026 00:00:30 GMT", now) == 30
    assert retry_after_seconds("soon", now) is None
    assert classify(201, None) == Result(Outcome.DELIVERED)
    assert classify(429, "12").retry_after == 12


def test_subject_defaults() -> None:
    from overpush.settings import Settings

    assert webpush.subject(Settings(vapid_subject="mailto:a@b.example")) == "mailto:a@b.example"
    assert webpush.subject(Settings(public_url="https://push.example/")) == "https://push.example"
    assert webpush.subject(Settings(mail_from="Ops <ops@push.example>")) == \
        "mailto:ops@push.example"
    assert not webpush.subject_ok("ops@push.example")
