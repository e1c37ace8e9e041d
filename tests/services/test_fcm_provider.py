"""The FCM provider against a fake FCM and OAuth endpoint on loopback: requests and outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from overpush.delivery.alerting import Alert
from overpush.delivery.fanout import Target
from overpush.delivery.push import Outcome, PhoneMessage, Push
from overpush.settings import Settings

from services.dispatcher.providers.fcm import FcmProvider, classify
from tests.fakes.fcm import FakeFcm

LOUD = Alert(visible=True, sound="bike", level="active", urgent=True)
QUIET = Alert(visible=True, sound=None, level="passive", urgent=False, quiet=True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeFcm]:
    server = FakeFcm()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def provider(fake: FakeFcm) -> AsyncIterator[FcmProvider]:
    p = FcmProvider.from_settings(Settings(fcm_credentials=fake.credentials(),
                                           fcm_endpoint=fake.base_url))
    assert p is not None
    yield p
    await p.close()


def push(token: str, body: str = "Backup finished", alert: Alert = LOUD,
         ttl: int | None = 3600) -> Push:
    pm = PhoneMessage(token=token, device_id="dev2", key=None, message_id=7, title="Backups",
                      body=body, url="https://example.com", badge=2, alert=alert, ttl=ttl)
    return Push(Target(2, "dev2", "pixel", "A"), 7, 0, pm)


async def test_outcomes_and_token_reuse(fake: FakeFcm, provider: FcmProvider) -> None:
    fake.answer("gone-token-000000", (404, "UNREGISTERED", None))
    fake.answer("busy-token-000000", (429, "QUOTA_EXCEEDED", "120"))
    fake.answer("sick-token-000000", (500, "INTERNAL", None))
    fake.answer("shy-token-0000000", (503, "UNAVAILABLE", "7"))
    fake.answer("bad-token-0000000", (400, "INVALID_ARGUMENT", None))
    tokens = ["good-token-000000", "gone-token-000000", "busy-token-000000",
              "sick-token-000000", "shy-token-0000000", "bad-token-0000000"]
    results = await provider.send([push(t) for t in tokens])
    assert [r.outcome for r in results] == [
        Outcome.DELIVERED, Outcome.GONE, Outcome.RETRY, Outcome.RETRY, Outcome.RETRY,
        Outcome.REJECTED]
    assert results[2].retry_after == 120 and results[4].retry_after == 7
    assert fake.tokens_issued == 1  # one OAuth token, cached for all six
    assert {r.authorization for r in fake.received} == {"Bearer fake-1"}


async def test_message_shape(fake: FakeFcm, provider: FcmProvider) -> None:
    await provider.send([push("good-token-000000"),
                         push("quiet-token-00000", alert=QUIET, ttl=None)])
    (loud,) = fake.for_token("good-token-000000")
    m = loud.message
    assert m["android"] == {"priority": "HIGH", "ttl": "3600s"}
    assert m["data"] == {"umid": "7", "title": "Backups", "message": "Backup finished",
                         "url": "https://example.com", "visible": "1", "sound": "bike",
                         "level": "active", "badge": "2"}
    (quiet,) = fake.for_token("quiet-token-00000")
    assert quiet.message["android"] == {"priority": "NORMAL"}
    assert quiet.message["data"]["sound"] == ""


async def test_long_body_shortened(fake: FakeFcm, provider: FcmProvider) -> None:
    await provider.send([push("good-token-000000", body="€" * 2000)])
    (req,) = fake.for_token("good-token-000000")
    assert req.message["data"]["trunc"] == "1"
    assert len(req.message["data"]["message"]) < 2000


async def test_unreachable_is_retry(fake: FakeFcm) -> None:
    from testkit.backends import free_port

    p = FcmProvider.from_settings(Settings(fcm_credentials=fake.credentials(),
                                           fcm_endpoint=f"http://127.0.0.1:{free_port()}"))
    assert p is not None
    try:
        results = await p.send([push("good-token-000000")])
    finally:
        await p.close()
    assert results[0].outcome is Outcome.RETRY


def test_classify_retry_after_date() -> None:
    now = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    r = classify(503, b"", "Fri, 27 Nov 2026 00:00:30 GMT", now)
    assert (r.outcome, r.retry_after) == (Outcome.RETRY, 30)
    assert classify(404, b"not json", None).outcome is Outcome.GONE


async def test_401_renews_the_access_token(fake: FakeFcm, provider: FcmProvider) -> None:
    fake.answer("good-token-000000", (401, "UNAUTHENTICATED", None))
    first = await provider.send([push("good-token-000000")])
    assert first[0].outcome is Outcome.RETRY
    second = await provider.send([push("good-token-000000")])
    assert second[0].outcome is Outcome.DELIVERED
    assert fake.tokens_issued == 2
    assert fake.received[-1].authorization == "Bearer fake-2"
