"""Several tabs of /client in one browser are one device: one tab holds the WebSocket, the
others follow it, none logs another out; when the leader closes, another tab takes over; and
when the device is opened somewhere else, the page says so and stops reconnecting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from playwright.async_api import expect

from services.runner import Runner
from tests.browser.client_kit import open_client, sender
from tests.browser.shots import Shots


@pytest.mark.timeout(180)
async def test_tabs_share_one_device(chromium: Any, shots: Shots, server: Runner,
                                     base_url: str) -> None:
    who = await sender(server.rt, base_url)
    context = await chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
    first = await context.new_page()
    errors: list[str] = []
    first.on("pageerror", lambda exc: errors.append(str(exc)))
    await open_client(first, who)
    second = await context.new_page()
    second.on("pageerror", lambda exc: errors.append(str(exc)))
    await second.goto("/client")
    # The second tab is logged in by the first, and follows its socket instead of opening one.
    await second.locator("#status", has_text="Connected (through another tab)").wait_for()
    assert (await first.locator("#status").inner_text()) == "Connected"

    await who.send(title="To both", message="Seen in every tab")
    for page in (first, second):
        await page.locator("#messages li", has_text="Seen in every tab").wait_for()
    await shots.take(second, "follower")
    # Reading or deleting in one tab shows in the other.
    await second.get_by_role("button", name="Mark read").click()
    await expect(first).to_have_title("Overpush")

    # The leader closes: the other tab takes the socket and keeps receiving.
    await first.close()
    await second.locator("#status", has_text="Connected").and_(
        second.locator("#status:not(:has-text('another tab'))")).wait_for()
    await who.send(title="After", message="Only the second tab is left")
    await second.locator("#messages li", has_text="Only the second tab is left").wait_for()
    assert await second.locator("#elsewhere").is_hidden()

    # The same device logs in from somewhere else: this page says so and stops reconnecting,
    # so the two never log each other out in a loop.
    session = await second.evaluate("OP.store.getMeta('session')")
    ws_url = base_url.replace("http", "ws", 1) + "/push"
    async with websockets.connect(ws_url) as other:
        await other.send(f"login:{session['device_id']}:{session['secret']}\n")
        alert = second.get_by_role("alert").filter(has_text="open in another browser")
        await alert.wait_for()
        await second.locator("#status", has_text="Open elsewhere").wait_for()
        await shots.take(second, "open-elsewhere")
        # Asked to, the page takes the device back; the other connection is told 'A'.
        await alert.get_by_role("button", name="Receive here instead").click()
        async with asyncio.timeout(30):
            while (frame := await other.recv()) != b"A":
                assert frame in (b"!", b"#"), frame
        with pytest.raises(websockets.ConnectionClosed):
            await other.recv()
        await second.locator("#status", has_text="Connected").wait_for()
        assert await alert.is_hidden()
    assert errors == []
    await context.close()
