"""Fixtures of the browser tests: headless Chromium (Debian's package) driven by Playwright,
numbered screenshots kept as artefacts, and a single-machine server that writes its mail to a
folder (`settings.mail_dir`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from overpush.settings import Settings

from testkit.backends import sqlite_settings
from tests.browser.shots import Shots
from tests.needs import missing

CHROMIUM = os.environ.get("OVERPUSH_TEST_CHROMIUM") or shutil.which("chromium") or ""
# Without these, Chromium keeps trying to reach Google's hosts, which this network refuses.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    if not CHROMIUM:
        missing("chromium is not installed (apt-get install chromium; .ci/run does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name.replace("[", "-").replace("]", ""))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return sqlite_settings(tmp_path, mail_dir=str(tmp_path / "mail"))
