"""The Web Push endpoints of the Open Client API over real HTTP, on both backends: the server's
public key (made once, shared by replicas, or the operator's) and a desktop's subscription."""

from __future__ import annotations

import base64

import httpx
import pytest
from overpush import webpush
from overpush.models import Device, VapidKey
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import func, select

from services.runner import Runner
from tests.factories import Person
from tests.fakes.webpush import BrowserSubscription

ENDPOINT = "https://127.0.0.1:9/push/v1/abc"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The subscriptions here point at loopback, as the fake push service does.
    return settings.model_copy(update={"callback_allow_private": True})


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def token_of(rt: Runtime, device_id: str) -> str | None:
    async with rt.sessions() as session:
        token: str | None = await session.scalar(
            select(Device.push_token).where(Device.public_id == device_id))
        return token


async def test_public_key_made_once_and_shared(server: Runner, http: httpx.AsyncClient,
                                               base_url: str, settings: Settings) -> None:
    r = await http.get(f"{base_url}/1/webpush/key.json")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == 1 and body["request"]
    point = unb64(body["public_key"])
    assert len(point) == 65 and point[0] == 4  # uncompressed P-256, as browsers take it
    again = await http.get(f"{base_url}/1/webpush/key.json")
    assert again.json()["public_key"] == body["public_key"]
    # Another replica (its own runtime on the same database) signs with the same key.
    other = Runtime.build(settings)
    try:
        assert webpush.public_key(await webpush.private_pem(other)) == body["public_key"]
    finally:
        await other.close()
    async with server.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(VapidKey)) == 1


async def test_operator_key_wins(server: Runner, http: httpx.AsyncClient,
                                 base_url: str) -> None:
    pem = webpush.new_private_pem()
    server.rt.settings = server.rt.settings.model_copy(update={"vapid_private_key": pem})
    r = await http.get(f"{base_url}/1/webpush/key.json")
    assert r.json()["public_key"] == webpush.public_key(pem)


async def test_subscribe_and_unsubscribe(server: Runner, http: httpx.AsyncClient,
                                         base_url: str, ann: Person) -> None:
    browser = BrowserSubscription.make()
    url = f"{base_url}/1/devices/{ann.device.device_id}/webpush.json"
    r = await http.post(url, data={"secret": ann.device.secret, "endpoint": ENDPOINT,
                                   **browser.keys()})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == 1 and r.json()["webpush"] == 1
    stored = webpush.from_token(await token_of(server.rt, ann.device.device_id))
    assert stored == webpush.PushSubscription(ENDPOINT, browser.keys()["p256dh"],
                                              browser.keys()["auth"])
    # Padded base64url (some libraries pad) is the same subscription.
    padded = {k: v + "=" * (-len(v) % 4) for k, v in browser.keys().items()}
    r = await http.post(url, data={"secret": ann.device.secret, "endpoint": ENDPOINT, **padded})
    assert r.status_code == 200, r.text
    assert webpush.from_token(await token_of(server.rt, ann.device.device_id)) == stored
    r = await http.post(url, data={"secret": ann.device.secret, "endpoint": ""})
    assert r.status_code == 200 and r.json()["webpush"] == 0
    assert await token_of(server.rt, ann.device.device_id) is None


async def test_one_subscription_one_device(server: Runner, http: httpx.AsyncClient,
                                           base_url: str, ann: Person) -> None:
    """The same browser subscription registered for a second device leaves the first."""
    browser = BrowserSubscription.make()
    r = await http.post(f"{base_url}/1/devices.json",
                        data={"secret": ann.device.secret, "name": "tab2", "os": "O"})
    second = r.json()["id"]
    for device_id in (ann.device.device_id, second):
        r = await http.post(f"{base_url}/1/devices/{device_id}/webpush.json",
                            data={"secret": ann.device.secret, "endpoint": ENDPOINT,
                                  **browser.keys()})
        assert r.status_code == 200, r.text
    assert await token_of(server.rt, ann.device.device_id) is None
    assert await token_of(server.rt, second) is not None


@pytest.mark.parametrize(("fields", "field"), [
    ({"endpoint": "http://127.0.0.1:9/push"}, "endpoint"),
    ({"endpoint": "https://user:pw@127.0.0.1/push"}, "endpoint"),
    ({"endpoint": "https://127.0.0.1/" + "a" * 1100}, "endpoint"),
    ({"endpoint": "ftp://push.example/x"}, "endpoint"),
    ({"p256dh": "not base64!"}, "p256dh"),
    ({"p256dh": base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode()}, "p256dh"),
    ({"auth": "c2hvcnQ"}, "p256dh"),
    ({"auth": ""}, "p256dh"),
])
async def test_bad_subscriptions(server: Runner, http: httpx.AsyncClient, base_url: str,
                                 ann: Person, fields: dict[str, str], field: str) -> None:
    data = {"secret": ann.device.secret, "endpoint": ENDPOINT,
            **BrowserSubscription.make().keys(), **fields}
    r = await http.post(f"{base_url}/1/devices/{ann.device.device_id}/webpush.json", data=data)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == 0 and field in r.json()
    assert await token_of(server.rt, ann.device.device_id) is None


async def test_private_addresses_refused_unless_allowed(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person) -> None:
    server.rt.settings = server.rt.settings.model_copy(update={"callback_allow_private": False})
    for endpoint in (ENDPOINT, "https://localhost/push", "https://[::1]/push",
                     "https://10.1.2.3/push"):
        r = await http.post(f"{base_url}/1/devices/{ann.device.device_id}/webpush.json",
                            data={"secret": ann.device.secret, "endpoint": endpoint,
                                  **BrowserSubscription.make().keys()})
        assert r.status_code == 400, (endpoint, r.text)
        assert "publicly reachable" in r.json()["errors"][0]


async def test_who_may_subscribe(server: Runner, http: httpx.AsyncClient, base_url: str,
                                 ann: Person) -> None:
    keys = BrowserSubscription.make().keys()
    url = f"{base_url}/1/devices/{ann.device.device_id}/webpush.json"
    r = await http.post(url, data={"secret": "wrong", "endpoint": ENDPOINT, **keys})
    assert r.status_code in (400, 401) and r.json()["status"] == 0
    r = await http.post(f"{base_url}/1/devices/{'x' * 40}/webpush.json",
                        data={"secret": ann.device.secret, "endpoint": ENDPOINT, **keys})
    assert r.status_code == 400 and "device_id" in r.json()
    phone = await http.post(f"{base_url}/1/devices.json", data={
        "secret": ann.device.secret, "name": "iphone", "os": "I", "push_token": "ab" * 32})
    r = await http.post(f"{base_url}/1/devices/{phone.json()['id']}/webpush.json",
                        data={"secret": ann.device.secret, "endpoint": ENDPOINT, **keys})
    assert r.status_code == 400 and "desktop" in r.json()["errors"][0]


async def test_desktop_push_token_must_be_a_subscription(
        server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person) -> None:
    """A desktop registering with push_token gives a subscription in its stored form, or
    nothing: anything else would be taken for one."""
    r = await http.post(f"{base_url}/1/devices.json", data={
        "secret": ann.device.secret, "name": "oddbox", "os": "O", "push_token": "abc"})
    assert r.status_code == 400 and "push_token" in r.json()["errors"]
    sub = webpush.check(ENDPOINT, **BrowserSubscription.make().keys())
    r = await http.post(f"{base_url}/1/devices.json", data={
        "secret": ann.device.secret, "name": "goodbox", "os": "O", "push_token": sub.token})
    assert r.status_code == 200, r.text
    assert await token_of(server.rt, r.json()["id"]) == sub.token
