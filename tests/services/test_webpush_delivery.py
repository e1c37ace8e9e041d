"""Web Push end to end on both backends: every service in this process on a fixed clock, Ann's
laptop subscribed at a fake push service (real HTTPS on loopback, its own CA through
SSL_CERT_FILE) that checks each VAPID token against the server's public key and decrypts each
payload as the browser would. Normal messages, headers, priority -2, an emergency with
re-alerts and acknowledgement, a gone subscription, 413 and oversize short forms, 429."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import pytest
from overpush import webpush
from overpush.clock import FixedClock
from overpush.models import Delivery, Device, OutboxEvent
from overpush.settings import Settings
from sqlalchemy import select

from services.runner import Runner
from testkit.servers import running
from tests.checks import count
from tests.factories import Person, image_bytes
from tests.fakes.webpush import FakePushService, Received
from tests.waiting import until

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> AsyncIterator[FakePushService]:
    service = FakePushService(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", service.ca_file)  # our only way to trust its CA
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def server(settings: Settings, fake: FakePushService, clock: FixedClock,
                 tmp_path: Path) -> AsyncIterator[Runner]:
    s = settings.model_copy(update={
        "callback_allow_private": True, "receipts_tick_interval": 0.02,
        "push_retry_interval": 0.05, "mail_dir": str(tmp_path / "mail"),
        "vapid_subject": "mailto:ops@example.com",
    })
    async with running(s, clock=clock) as runner:
        fake.server_key = webpush.public_key(await webpush.private_pem(runner.rt))
        yield runner


@pytest.fixture
async def laptop(server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person,
                 fake: FakePushService) -> str:
    """Ann's laptop subscribed at the fake; returns the subscription's id there."""
    endpoint, browser = fake.subscribe("ann")
    r = await http.post(f"{base_url}/1/devices/{ann.device.device_id}/webpush.json",
                        data={"secret": ann.device.secret, "endpoint": endpoint,
                              **browser.keys()})
    assert r.status_code == 200, r.text
    return "ann"


async def send(http: httpx.AsyncClient, base_url: str, token: str, ann: Person,
               image: bytes | None = None, **fields: str) -> dict[str, Any]:
    files = {"attachment": ("graph.png", image, "image/png")} if image else None
    r = await http.post(f"{base_url}/1/messages.json", files=files,
                        data={"token": token, "user": ann.key, "message": "hello", **fields})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def status(http: httpx.AsyncClient, base_url: str, token: str, request: str) -> str:
    """Ann's laptop's delivery status of the message of that request."""
    r = await http.get(f"{base_url}/1/requests/{request}.json", params={"token": token})
    assert r.status_code == 200, r.text
    (recipient,) = r.json()["recipients"]
    (device,) = recipient["devices"]
    return str(device["status"])


async def pushes(fake: FakePushService, sub: str, n: int) -> list[Received]:
    return await until(lambda: len(fake.for_sub(sub)) >= n and fake.for_sub(sub),
                       f"{n} pushes at the fake push service")


async def umid_of(http: httpx.AsyncClient, ann: Person, message: str) -> int:
    downloaded = await ann.device.download(http)
    return int(next(m["umid"] for m in downloaded if m["message"] == message))


async def test_message_arrives_encrypted_and_signed(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        fake: FakePushService, laptop: str) -> None:
    sent = await send(http, base_url, token, ann, message="Backup finished", title="nightly",
               priority="1", url="https://example.com/log", url_title="the log", ttl="3600",
               sound="bike", image=image_bytes())
    (push,) = await pushes(fake, laptop, 1)
    # The push service took it: "sent" (before the download below makes it "delivered").
    await eventually(lambda: status(http, base_url, token, sent["request"]), "sent")
    umid = await umid_of(http, ann, "Backup finished")
    assert push.payload == {
        "umid": umid, "umid_str": str(umid), "priority": 1, "date": int(START.timestamp()),
        "badge": 1, "title": "nightly", "message": "Backup finished", "app": "Backups",
        "aid": push.payload["aid"], "icon": str(push.payload["aid"]), "html": 0,
        "sound": "bike", "url": "https://example.com/log", "url_title": "the log",
        "attachment": f"{base_url}/1/attachments/{umid}.png"}
    assert push.headers["ttl"] == "3600"
    assert push.headers["urgency"] == "high"
    assert push.headers["topic"] == f"overpush-{umid}"
    assert push.claims["sub"] == "mailto:ops@example.com"  # the fake checked aud/exp/key
    assert fake.refused == []
    # The open page of the same device still hears the WebSocket nudge.
    assert await ann.device.frame_other_than_keepalive() == b"!"


async def test_urgency_ttl_and_the_lowest_priority(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        fake: FakePushService, laptop: str) -> None:
    # Priority -2 sends no Web Push at all: the nudge (sent after the Web Push provider has
    # answered for the same message) proves it was dispatched; the message waits in the queue.
    silent = await send(http, base_url, token, ann, message="silent", priority="-2")
    assert await ann.device.frame_other_than_keepalive() == b"!"
    assert fake.for_sub(laptop) == []
    assert await status(http, base_url, token, silent["request"]) == "queued"  # not failed
    assert [m["message"] for m in await ann.device.download(http)] == ["silent"]
    await send(http, base_url, token, ann, message="low", priority="-1")
    await send(http, base_url, token, ann, message="normal")
    received = await pushes(fake, laptop, 2)
    by_text = {r.payload["message"]: r for r in received}
    assert set(by_text) == {"low", "normal"}
    assert by_text["low"].headers["urgency"] == "low"
    assert by_text["normal"].headers["urgency"] == "normal"
    assert "sound" not in by_text["low"].payload  # -1: no sound
    # No ttl: the retention period, 21 days.
    assert {r.headers["ttl"] for r in received} == {str(21 * 86400)}


async def test_emergency_realerts_until_acknowledged(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        fake: FakePushService, laptop: str, clock: FixedClock) -> None:
    sent = await send(http, base_url, token, ann, message="fire", priority="2", retry="30",
                      expire="600")
    receipt = sent["receipt"]
    first = (await pushes(fake, laptop, 1))[0]
    assert first.payload["receipt"] == receipt and first.payload["priority"] == 2
    assert first.headers["urgency"] == "high" and "realert" not in first.payload
    await outbox_drained(server)
    clock.advance(30)
    second = (await pushes(fake, laptop, 2))[1]
    assert second.payload["realert"] == 1 and second.payload["message"] == "fire"
    assert second.payload["receipt"] == receipt
    assert second.headers["topic"] == first.headers["topic"]  # replaces the first
    r = await http.post(f"{base_url}/1/receipts/{receipt}/acknowledge.json",
                        data={"secret": ann.device.secret})
    assert r.status_code == 200, r.text
    r = await http.get(f"{base_url}/1/receipts/{receipt}.json", params={"token": token})
    assert r.json()["acknowledged"] == 1
    await outbox_drained(server)
    clock.advance(120)
    # A later message is pushed; by then the ticker has run many times with the clock past
    # four more re-alert slots, and none of them went out.
    await send(http, base_url, token, ann, message="after")
    received = await pushes(fake, laptop, 3)
    assert [r.payload["message"] for r in received] == ["fire", "fire", "after"]


async def test_gone_subscription_is_dropped_and_owner_told(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        fake: FakePushService, laptop: str, tmp_path: Path) -> None:
    fake.answer(laptop, (410, None))
    await send(http, base_url, token, ann, message="one")
    await pushes(fake, laptop, 1)

    async def device() -> Device:
        async with server.rt.sessions() as session:
            d = await session.scalar(
                select(Device).where(Device.public_id == ann.device.device_id))
            assert d is not None
            return d

    mails = tmp_path / "mail"
    await until(lambda: list(mails.glob("*.eml")), "the notice to Ann")
    d = await device()
    assert d.push_token is None and d.enabled  # the subscription goes, not the device
    assert d.disabled_reason == "410 subscription gone"
    (notice,) = [message_from_bytes(p.read_bytes()) for p in mails.glob("*.eml")]
    assert notice["Subject"] == "Overpush: push notifications stopped for laptop"
    text = notice.get_payload(decode=True).decode()
    assert "the browser's push service told us" in text.replace("\n", " ")
    # Still a working desktop: the WebSocket nudges it and it downloads; no more Web Push.
    await send(http, base_url, token, ann, message="two")
    downloaded = await ann.device.download_until(http, 2)  # each miss waits for a nudge
    assert [m["message"] for m in downloaded] == ["one", "two"]
    assert len(fake.for_sub(laptop)) == 1


async def test_short_forms(server: Runner, http: httpx.AsyncClient, base_url: str,
                           ann: Person, token: str, fake: FakePushService,
                           laptop: str) -> None:
    # 413: the push service takes less than we thought; the short form goes instead.
    fake.answer(laptop, (413, None))
    await send(http, base_url, token, ann, message="first")
    full, short = await pushes(fake, laptop, 2)
    umid = await umid_of(http, ann, "first")
    assert full.payload["message"] == "first"
    assert short.payload == {"umid": umid, "umid_str": str(umid), "priority": 0,
                             "date": int(START.timestamp()), "badge": 1, "short": 1}
    # A message that cannot fit in 4096 bytes once encrypted goes short at once.
    await send(http, base_url, token, ann, message="\U0001F600" * 1024)
    third = (await pushes(fake, laptop, 3))[2]
    assert third.payload["short"] == 1 and "message" not in third.payload
    assert third.size <= 4096


async def test_busy_push_service_retried_after_retry_after(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        fake: FakePushService, laptop: str, clock: FixedClock) -> None:
    fake.answer(laptop, (429, "120"))
    await send(http, base_url, token, ann, message="later")
    await pushes(fake, laptop, 1)

    async def retry_at() -> datetime | None:
        async with server.rt.sessions() as session:
            return await session.scalar(select(Delivery.push_retry_at))

    due = START + timedelta(seconds=120)  # Retry-After beats the 10 s back-off
    await eventually(retry_at, due)
    clock.advance(121)
    second = (await pushes(fake, laptop, 2))[1]
    assert second.payload["message"] == "later"
    await eventually(retry_at, None)


async def outbox_drained(server: Runner) -> None:
    """Before the fixed clock jumps: wait until every relay has deleted the rows it published
    (a moment after each publish). A row handed to its own process's relay is not due for
    the others' sweeps for 10 s (outbox.HANDOFF_GRACE); a jump past that while the row still
    waited for its delete let a sweep publish it again, a second push of the same message.
    A real clock does not jump 10 s in those milliseconds."""
    await eventually(lambda: count(server.rt, OutboxEvent), 0)


async def eventually(get: Callable[[], Awaitable[object]], expected: object) -> None:
    """Poll an async getter until it returns `expected` (what other services write)."""
    for _ in range(750):  # 15 s: a hang guard, not a timing check
        if await get() == expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never became {expected!r}")


async def test_end_to_end_encrypted_message_is_marked(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        fake: FakePushService, laptop: str) -> None:
    """The sender's ciphertext passes untouched, marked, for the worker to open with the key
    its owner entered on that device; too big for a push, it goes short, still marked."""
    fields = {"message": base64.b64encode(os.urandom(300)).decode(),
              "title": base64.b64encode(os.urandom(48)).decode()}
    await send(http, base_url, token, ann, encrypted="1", **fields)
    (push,) = await pushes(fake, laptop, 1)
    assert push.payload["encrypted"] == 1
    assert (push.payload["message"], push.payload["title"]) == (fields["message"],
                                                                fields["title"])
    await send(http, base_url, token, ann, encrypted="1",
               message=base64.b64encode(os.urandom(3000)).decode())
    big = (await pushes(fake, laptop, 2))[1]
    assert big.payload["short"] == 1 and big.payload["encrypted"] == 1
async def test_end_to_end_encrypted_message_is_marked_and_untouched(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        fake: FakePushService, laptop: str) -> None:
    """encrypted=1 (issue 17 §1): the sender's ciphertext reaches the browser as sent, marked
    `"encrypted": 1` for the service worker to open with its key."""
    cipher = "q83vEjRWeJq83vEjRWeJ" * 80 + "=="  # longer than 1024: no plaintext limit
    await send(http, base_url, token, ann, message=cipher, title="VGl0bGU=", encrypted="1",
               html="1")
    (push,) = await pushes(fake, laptop, 1)
    assert push.payload["encrypted"] == 1
    assert (push.payload["message"], push.payload["title"]) == (cipher, "VGl0bGU=")
