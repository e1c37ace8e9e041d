"""/client as an installable app, end to end in headless Chromium: the manifest and service
worker make it installable; after log-in the page subscribes to Web Push and hands the
subscription to the server; the server's pushes (through a fake push service that checks
VAPID and decrypts as a browser would) are delivered to the worker over the DevTools protocol
(`ServiceWorker.deliverPushMessage`), and the worker shows them (title, plain text of
html=1, icon, image, requireInteraction, silent, an Acknowledge action that acknowledges the
receipt), shows nothing while a /client page is visible, opens /client at a message when
clicked, and the page works offline from what it kept.

Headless Chromium cannot reach a browser vendor's push service, so `pushManager.subscribe` is
the one browser call replaced (an init script): it answers with a subscription at the fake,
made as a browser makes one (tests/fakes/webpush.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from overpush import webpush
from overpush.settings import Settings

from services.runner import Runner
from testkit.servers import running
from tests.browser.client_kit import notifications, open_client, sender
from tests.browser.shots import Shots
from tests.fakes.webpush import FakePushService, Received

SUBSCRIBE = """
PushManager.prototype.subscribe = async function (options) {
  const key = new Uint8Array(options.applicationServerKey);
  window.__applicationServerKey = btoa(String.fromCharCode(...key))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  return { endpoint: %(endpoint)s, options: { applicationServerKey: key.buffer },
           toJSON: () => ({ endpoint: %(endpoint)s, keys: %(keys)s }),
           unsubscribe: async () => true };
};
PushManager.prototype.getSubscription = async function () { return null; };
"""


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> AsyncIterator[FakePushService]:
    service = FakePushService(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", service.ca_file)  # how the server trusts its CA
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def pushing(settings: Settings, fake: FakePushService) -> AsyncIterator[Runner]:
    s = settings.model_copy(update={"callback_allow_private": True,
                                    "vapid_subject": "mailto:ops@example.com"})
    async with running(s) as runner:
        fake.server_key = webpush.public_key(await webpush.private_pem(runner.rt))
        yield runner


async def pushed(fake: FakePushService, umid: int) -> Received:
    """The push the server sent the fake for message `umid`."""
    for _ in range(400):
        for r in fake.for_sub("browser"):
            if r.payload.get("umid") == umid:
                return r
        await asyncio.sleep(0.05)
    raise AssertionError(f"no push for {umid}; refused: {fake.refused}")


@pytest.mark.timeout(240)
async def test_installable_app_with_web_push(chromium: Any, shots: Shots, base_url: str,
                                             pushing: Runner, fake: FakePushService) -> None:
    who = await sender(pushing.rt, base_url)
    context = await chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    await context.grant_permissions(["notifications"], origin=base_url)
    endpoint, browser = fake.subscribe("browser")
    await context.add_init_script(SUBSCRIBE % {"endpoint": json.dumps(endpoint),
                                               "keys": json.dumps(browser.keys())})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: print("console:", msg.text))
    cdp = await context.new_cdp_session(page)
    registrations: list[str] = []
    registered = asyncio.Event()

    def updated(event: dict[str, Any]) -> None:
        registrations.extend(r["registrationId"] for r in event["registrations"]
                             if r["scopeURL"].endswith("/client"))
        if registrations:
            registered.set()

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    await cdp.send("ServiceWorker.enable")

    # Log in and register: the worker is installed, the page subscribes with the server's
    # VAPID key and hands the subscription to the server.
    await open_client(page, who)
    scope = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{base_url}/client"
    await page.get_by_text("Notifications arrive with the page closed too.").wait_for(
        state="attached")
    assert await page.evaluate("window.__applicationServerKey") == fake.server_key
    manifest = await page.evaluate("fetch('/client.webmanifest').then((r) => r.json())")
    assert (manifest["start_url"], manifest["display"]) == ("/client", "standalone")
    # Chromium's own verdict: nothing about the app stops installing it (a Playwright context
    # is an incognito profile, where Chromium installs nothing at all).
    found = (await cdp.send("Page.getInstallabilityErrors"))["installabilityErrors"]
    assert [e for e in found if e["errorId"] != "in-incognito"] == [], found
    await registered.wait()

    async def deliver(received: Received) -> None:
        await cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": base_url + "/", "registrationId": registrations[0],
            "data": json.dumps(received.payload)})

    # While /client is visible the page shows the message; the worker shows nothing.
    await who.send(title="Seen on the page", message="no notification from the worker")
    item = page.locator("#messages li", has_text="no notification from the worker")
    await item.wait_for()
    first = int(await item.get_attribute("data-umid") or 0)
    await deliver(await pushed(fake, first))

    # The page closed (another page of the site is open): pushes become notifications.
    await page.goto("/login")
    sent = await who.send(title="Disk full", message="db1 is at 100 %", priority=2, retry=30,
                          expire=600, image=True)
    emergency = [r for r in fake.for_sub("browser") if r.payload.get("receipt") == sent["receipt"]]
    while not emergency:
        await asyncio.sleep(0.05)
        emergency = [r for r in fake.for_sub("browser")
                     if r.payload.get("receipt") == sent["receipt"]]
    umid = emergency[0].payload["umid"]
    await deliver(emergency[0])
    notes = await until_notification(page, f"m-{umid}")
    # The worker showed nothing for the first message (the page notified, as it does).
    assert [(n["tag"], n["data"]["by"]) for n in notes] == [(f"m-{first}", "page"),
                                                            (f"m-{umid}", "worker")]
    [note] = notes[1:]
    assert (note["title"], note["body"]) == ("Disk full", "db1 is at 100 %")
    assert note["requireInteraction"] and not note["silent"]
    assert note["actions"] == ["Acknowledge"]
    assert note["icon"].endswith(f"/icons/{emergency[0].payload['aid']}.png")
    assert note["image"].startswith("data:image/png;base64,")  # downloaded, then deleted

    # "Acknowledge" on the notification acknowledges the receipt, as this device.
    [worker] = context.service_workers
    await worker.evaluate("""async (tag) => {
        const [n] = (await registration.getNotifications()).filter((n) => n.tag === tag);
        await handleClick(n, "acknowledge");
    }""", f"m-{umid}")
    receipt = await who.receipt(sent["receipt"])
    assert (receipt["acknowledged"], receipt["acknowledged_by_device"]) == (1, "browser")
    assert [n for n in await notifications(page) if n["tag"] == f"m-{umid}"] == []

    # Priority -1 is silent; html=1 shows as plain text.
    await who.send(title="Low", message="<b>Quiet</b> &amp; <i>calm</i>", html=1, priority=-1)
    low = await until_push(fake, "Low")
    await deliver(low)
    [quiet] = [n for n in await until_notification(page, f"m-{low.payload['umid']}")
               if n["tag"] == f"m-{low.payload['umid']}"]
    assert quiet["silent"] and not quiet["requireInteraction"] and quiet["actions"] == []
    assert quiet["body"] == "Quiet & calm"

    # A click opens /client at that message (here an open /client page is told to show it:
    # opening a new window needs a real click, which a test cannot make).
    view = await context.new_page()
    await view.goto("/client")
    await view.locator("#messages li").first.wait_for()
    await worker.evaluate("""async (tag) => {
        const [n] = (await registration.getNotifications()).filter((n) => n.tag === tag);
        await handleClick(n, "");
    }""", f"m-{low.payload['umid']}")
    target = view.locator(f"#m-{low.payload['umid']}.target")
    await target.wait_for()
    assert view.url.endswith(f"/client#m-{low.payload['umid']}")
    await view.locator("#messages li.emergency", has_text="Acknowledged").wait_for()
    await shots.take(view, "opened-at-message")

    # Offline: the app comes from the worker's copy, its messages from IndexedDB.
    await view.close()
    await context.set_offline(True)
    await page.goto("/client")
    await page.locator("#messages li", has_text="db1 is at 100 %").wait_for()
    await shots.take(page, "offline")
    await context.set_offline(False)
    assert errors == []
    await context.close()


async def until_notification(page: Any, tag: str) -> list[dict[str, Any]]:
    for _ in range(400):
        found = await notifications(page)
        if any(n["tag"] == tag for n in found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no notification {tag}")


async def until_push(fake: FakePushService, title: str) -> Received:
    for _ in range(400):
        for r in fake.for_sub("browser"):
            if r.payload.get("title") == title:
                return r
        await asyncio.sleep(0.05)
    raise AssertionError(f"no push titled {title}; refused: {fake.refused}")
