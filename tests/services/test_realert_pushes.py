"""An emergency's re-alerts reach phones as full pushes (they once went out without the
message, and the APNs provider refused them for want of a token): every service on a fixed
clock, an iPhone at a fake APNs, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from overpush.clock import FixedClock
from overpush.settings import Settings

from services.runner import Runner
from testkit.servers import running
from tests.factories import Person
from tests.fakes.apns import HOST, FakeApns, p8_key
from tests.waiting import until, until_awaited

IPHONE = "c3" * 32
pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))


@pytest.fixture
async def apns() -> AsyncIterator[FakeApns]:
    fake = FakeApns()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def server(settings: Settings, apns: FakeApns, clock: FixedClock,
                 tmp_path: Path) -> AsyncIterator[Runner]:
    s = settings.model_copy(update={
        "apns_key": p8_key(), "apns_key_id": "ABC123DEFG", "apns_team_id": "TEAM123456",
        "apns_topic": "net.example.overpush", "apns_host": HOST, "apns_port": apns.port,
        "apns_ca_file": apns.ca_file(tmp_path), "receipts_tick_interval": 0.02,
        "mail_dir": str(tmp_path / "mail"),
    })
    async with running(s, clock=clock) as runner:
        yield runner


async def test_realert_carries_the_message_to_a_phone(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        apns: FakeApns, clock: FixedClock) -> None:
    r = await http.post(f"{base_url}/1/devices.json", data={
        "secret": ann.device.secret, "name": "iphone", "os": "I", "push_token": IPHONE})
    assert r.status_code == 200, r.text
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "message": "fire", "title": "db1",
        "priority": "2", "retry": "30", "expire": "600"})
    assert r.status_code == 200, r.text
    await until(lambda: apns.for_token(IPHONE), "the first push")
    clock.advance(30)
    first, again = await until(lambda: len(apns.for_token(IPHONE)) >= 2
                               and apns.for_token(IPHONE)[:2], "the re-alert push")
    assert again.payload["aps"]["alert"] == {"title": "db1", "body": "fire"}
    assert again.payload["aps"]["interruption-level"] == "time-sensitive"
    assert again.payload["umid"] == first.payload["umid"]


async def test_a_realert_records_the_status_of_a_device_added_since(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
        apns: FakeApns, clock: FixedClock) -> None:
    """The iPhone registered after the first alert has no status row until the re-alert
    queues and pushes it; the laptop's status, already there, is left as it was."""
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "message": "fire", "priority": "2", "retry": "30",
        "expire": "600"})
    assert r.status_code == 200, r.text
    request = r.json()["request"]

    async def statuses() -> dict[str, str]:
        answer = await http.get(f"{base_url}/1/requests/{request}.json",
                                params={"token": token})
        if answer.status_code != 200:  # not dispatched yet
            return {}
        [recipient] = answer.json()["recipients"]
        return {d["device"]: d["status"] for d in recipient["devices"]}

    assert await until_awaited(statuses, "the first alert's status") == {"laptop": "queued"}
    r = await http.post(f"{base_url}/1/devices.json", data={
        "secret": ann.device.secret, "name": "iphone", "os": "I", "push_token": IPHONE})
    assert r.status_code == 200, r.text
    clock.advance(30)
    await until(lambda: apns.for_token(IPHONE), "the re-alert push to the new iPhone")

    async def both() -> dict[str, str] | None:
        now = await statuses()
        return now if now.get("iphone") == "sent" else None

    assert await until_awaited(both, "the iPhone's status, sent") == {
        "laptop": "queued", "iphone": "sent"}
