"""Interop: messages that apprise sends with Pushover's end-to-end encryption (`encrypted=1`,
each field AES-256-CBC + HMAC-SHA256 with a key the server never sees) are shown decrypted
in /client once that key is entered on the device, are said to be unreadable without it or
with another key, and go through the HTML allow-list after decryption. The service worker
decrypts a push the same way."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import apprise
import pytest

from services.runner import Runner
from tests.browser.client_kit import Sender, notifications, open_client, sender
from tests.browser.shots import Shots

# apprise loads the standard library's deprecated imghdr to guess attachment types.
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


async def apprise_send(who: Sender, key: str, **kwargs: Any) -> None:
    """Send through apprise's Pushover plugin, pointed at our server (its URL constant); in a
    thread, as apprise blocks and the server runs in this event loop."""
    plugin: Any = apprise.Apprise.instantiate(f"pover://{who.user_key}@{who.token}?key={key}")
    assert plugin is not None
    plugin.notify_url = f"{who.base_url}/1/messages.json"
    assert await asyncio.to_thread(plugin.notify, **kwargs)


@pytest.mark.timeout(180)
async def test_apprise_encrypted_messages_in_client(chromium: Any, shots: Shots, server: Runner,
                                                    base_url: str) -> None:
    who = await sender(server.rt, base_url)
    key, other_key = os.urandom(32).hex(), os.urandom(32).hex()
    context = await chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    await context.grant_permissions(["notifications"], origin=base_url)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await open_client(page, who)

    # Without a key on this device, an encrypted message says what to do.
    await apprise_send(who, key, title="Vault opened", body="The vault door opened at 02:14")
    locked = page.locator("#messages li", has_text="Enter its key")
    await locked.wait_for()
    assert "The vault door" not in await page.locator("#messages").inner_text()
    assert await locked.locator(".title").inner_text() == "Encrypted message"

    # The key, entered here, opens it (and never goes to the server).
    sent_bodies: list[str] = []
    page.on("request", lambda r: sent_bodies.append(r.post_data or "") if r.method == "POST"
            else None)
    await page.locator("#settings summary").click()
    await page.get_by_label("Encryption key (64 hexadecimal characters)").fill(key)
    await page.get_by_role("button", name="Save key").click()
    opened = page.locator("#messages li", has_text="The vault door opened at 02:14")
    await opened.wait_for()
    assert await opened.locator(".title").inner_text() == "Vault opened"

    # HTML, decrypted here, goes through the same allow-list as on the server.
    await apprise_send(who, key, title="Formatted", body_format=apprise.NotifyFormat.HTML,
                 body='<b>Bold</b> <a href="javascript:alert(1)">bad</a> '
                      '<img src="x" alt="x"><a href="https://example.com/ok">good</a>')
    html = page.locator("#messages li", has_text="Bold")
    await html.wait_for()
    assert await html.locator("p b").inner_text() == "Bold"
    assert await html.locator("img:not(.icon)").count() == 0
    assert await html.get_by_text("bad").get_attribute("href") is None
    assert await html.get_by_role("link", name="good").get_attribute("href") == \
        "https://example.com/ok"

    # Sent with another key: said clearly, nothing garbled shown.
    await apprise_send(who, other_key, title="Elsewhere", body="Not for this key")
    wrong = page.locator("#messages li", has_text="could not be decrypted")
    await wrong.wait_for()
    assert "Not for this key" not in await page.locator("#messages").inner_text()
    await shots.take(page, "decrypted")
    assert all(key not in body for body in sent_bodies)

    # The service worker opens a push the same way, with the key kept on this device.
    [worker] = context.service_workers
    umid = int(await opened.get_attribute("data-umid") or 0)
    stored = await page.evaluate("(umid) => OP.store.get(umid)", umid)
    payload = {k: stored[k] for k in ("umid", "title", "message", "app", "aid", "icon",
                                      "priority", "date", "encrypted")}
    await page.goto("/login")  # no visible /client page: the worker shows it
    await worker.evaluate("(text) => onPush({ text: () => text })", json.dumps(payload))
    [note] = [n for n in await notifications(page) if n["tag"] == f"m-{umid}"
              and n["data"]["by"] == "worker"]
    assert (note["title"], note["body"]) == ("Vault opened", "The vault door opened at 02:14")
    assert errors == []
    await context.close()
