"""/client as a person uses it, in headless Chromium: the empty state, links in plain text and
the HTML subset, an image kept after the server deleted it, unread state, search, deleting
one message, an emergency whose re-alert sounds and notifies again and whose Acknowledge goes
when it expires, relative and absolute times, and "Clear" asking first."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from overpush.clock import FixedClock
from overpush.models import Attachment, Message
from overpush.settings import Settings
from playwright.async_api import expect

from services.runner import Runner
from testkit.servers import running
from tests.browser.client_kit import notifications, open_client, sender
from tests.browser.shots import Shots
from tests.checks import count


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Runner, FixedClock]]:
    """Every service on a clock the test moves (re-alerts fall 30 s apart), started at now so
    the page's own times read naturally."""
    clock = FixedClock(datetime.now(UTC))
    fast = settings.model_copy(update={"receipts_tick_interval": 0.02})
    async with running(fast, clock=clock) as runner:
        yield runner, clock


async def until(check: Any, what: str) -> None:
    """Poll a condition of the page (sound log, notifications) that has no element to wait on."""
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.timeout(180)
async def test_client_page_features(chromium: Any, shots: Shots, base_url: str,
                                    clocked: tuple[Runner, FixedClock]) -> None:
    runner, clock = clocked
    who = await sender(runner.rt, base_url)
    context = await chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    await context.grant_permissions(["notifications"], origin=base_url)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: print("console:", msg.text))
    await page.clock.install()  # the page's time runs, and the test can move it on

    # Nothing yet: the page says what to do next and links to the dashboard.
    await open_client(page, who)
    empty = page.locator("#empty")
    await empty.get_by_role("heading", name="No messages yet").wait_for()
    dashboard = empty.get_by_role("button", name="Go to the dashboard")
    assert await dashboard.get_attribute("href") == "/"
    await shots.take(page, "empty")

    # Plain text: web addresses become links, other schemes stay text.
    await who.send(title="Backup done", message="All 3 databases were saved. Log: "
                   "https://example.com/log?day=1. Not a link: javascript:alert(1)")
    plain = page.locator("#messages li", has_text="All 3 databases were saved.")
    await plain.wait_for()
    links = plain.locator("p a")
    assert await links.count() == 1
    assert await links.first.get_attribute("href") == "https://example.com/log?day=1"
    assert await links.first.get_attribute("rel") == "noopener noreferrer"
    # The HTML subset: kept tags render, the rest goes.
    await who.send(title="Formatted", html=1, message='<b>Bold</b> and <a href="https://example.'
                   'com/h">a link</a> <font color="#d00">red</font>')
    html = page.locator("#messages li", has_text="Bold and a link")
    await html.wait_for()
    assert await html.locator("p b").inner_text() == "Bold"
    assert await html.get_by_role("link", name="a link").get_attribute("href") == "https://example.com/h"
    # An image: fetched before the server deletes it, shown inline from this browser's copy.
    await who.send(title="Camera", message="Someone at the door", image=True)
    photo = page.locator("#messages li", has_text="Someone at the door").locator("img.attachment")
    await photo.wait_for()
    assert (await photo.get_attribute("src") or "").startswith("blob:")
    assert await photo.evaluate("(img) => img.complete && img.naturalWidth") == 320
    await until(lambda: count_is(runner, Attachment, 0), "the server deleted the image")
    assert await count(runner.rt, Message) == 0

    # Unread: each new message is, the tab's title counts them, reading clears them.
    await expect(page).to_have_title("(3) Overpush")
    assert await page.locator("#messages li.unread").count() == 3
    await plain.get_by_role("button", name="Mark read").click()
    await expect(page).to_have_title("(2) Overpush")
    assert "unread" not in (await plain.get_attribute("class") or "")
    await page.get_by_role("button", name="Mark all read").click()
    await expect(page).to_have_title("Overpush")

    # Times: relative, with the absolute date beside (and in the title) on wide screens.
    stamp = plain.locator("time")
    assert re.fullmatch(r"just now|1 min ago", await stamp.inner_text())  # a busy machine
    assert str(datetime.now().year) in (await stamp.get_attribute("title") or "")
    await shots.take(page, "three-messages")

    # Search narrows the list; clearing the search brings everything back.
    await page.get_by_label("Search messages").fill("door")
    await page.locator("#messages li").nth(1).wait_for(state="detached")
    assert await page.locator("#messages li").count() == 1
    await page.get_by_label("Search messages").fill("nothing like this")
    await page.get_by_text("No messages match").wait_for()
    await page.get_by_label("Search messages").fill("")
    await page.locator("#messages li").nth(2).wait_for()

    # Delete one message: gone, also after a reload.
    await html.get_by_role("button", name="Delete").click()
    await html.wait_for(state="detached")
    await page.reload()
    await plain.wait_for()
    assert await page.locator("#messages li").count() == 2

    # An emergency: red, with Acknowledge; each re-alert sounds and notifies again.
    sent = await who.send(title="Disk full", message="db1 is at 100 %", priority=2,
                          retry=30, expire=90)
    emergency = page.locator("#messages li.emergency")
    await emergency.get_by_role("button", name="Acknowledge").wait_for()
    umid = int(await emergency.get_attribute("data-umid") or 0)

    async def sounds() -> int:
        log = await page.evaluate("OP.sound.log")
        return len([s for s in log if s["umid"] == umid])

    await until(lambda: sounds_are(sounds, 1), "the emergency's sound")
    await until(lambda: shown(page, f"m-{umid}"), "the emergency's notification")
    clock.advance(30)
    await emergency.get_by_text("alerted 2 times").wait_for()
    await until(lambda: sounds_are(sounds, 2), "the re-alert's sound")
    [note] = [n for n in await notifications(page) if n["tag"] == f"m-{umid}"]
    assert note["renotify"] and note["requireInteraction"] and note["actions"] == ["Acknowledge"]
    await shots.take(page, "emergency")
    # Past its expiry (90 s), Acknowledge goes: nothing is left to stop.
    await page.clock.fast_forward("02:00")
    await emergency.get_by_text("Expired: no longer needs acknowledging").wait_for()
    assert await emergency.get_by_role("button", name="Acknowledge").count() == 0
    assert re.fullmatch(r"[2-5] min ago", await stamp.inner_text())  # two minutes on
    assert (await who.receipt(sent["receipt"]))["acknowledged"] == 0
    await shots.take(page, "expired")

    # "Clear" asks first; Cancel keeps everything, Delete empties the list.
    await page.get_by_role("button", name="Clear these messages").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("Delete the 3 messages shown from this browser?").wait_for()
    await shots.take(page, "clear-asks")
    await dialog.get_by_role("button", name="Cancel").click()
    assert await page.locator("#messages li").count() == 3
    await page.get_by_role("button", name="Clear these messages").click()
    await dialog.get_by_role("button", name="Delete").click()
    await page.get_by_role("heading", name="No messages yet").wait_for()
    assert errors == []
    await context.close()


async def count_is(runner: Runner, model: Any, n: int) -> bool:
    return await count(runner.rt, model) == n


async def sounds_are(sounds: Any, n: int) -> bool:
    return bool(await sounds() == n)


async def shown(page: Any, tag: str) -> bool:
    return any(n["tag"] == tag for n in await notifications(page))
