"""Headless Chromium (Debian's package) driven by Playwright; screenshots kept as artefacts."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CI

CHROMIUM = os.environ.get("OVERPUSH_TEST_CHROMIUM") or shutil.which("chromium") or ""
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# Without these, Chromium keeps trying to reach Google's hosts, which this network refuses.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    if not CHROMIUM:
        if CI:
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        await browser.close()


class Shots:
    """Numbered screenshots of each step, in test-artifacts/browser/<test>/."""

    def __init__(self, name: str) -> None:
        self.dir = ARTIFACTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.n = 0

    async def take(self, page: Any, step: str) -> None:
        self.n += 1
        await page.screenshot(path=str(self.dir / f"{self.n:02d}-{step}.png"), full_page=True)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name.replace("[", "-").replace("]", ""))
