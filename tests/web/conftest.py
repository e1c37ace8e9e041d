"""Fixtures of the web-page tests (every service in this process, both backends): a server
that writes its mail to a folder, and a browser-like client, fresh or signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from overpush.clock import FixedClock
from overpush.settings import Settings

from services.runner import Runner
from testkit.servers import running
from tests.web.helpers import PASSWORD, VIEWER, Browser, signed_in_as


@pytest.fixture
def mail_dir(settings: Settings, tmp_path: Path) -> Path:
    """Where the server writes its mail (asked for before `server`, so it starts with it)."""
    settings.mail_dir = str(tmp_path / "mail")
    return tmp_path / "mail"


@pytest.fixture
async def browser(mail_dir: Path, server: Runner, base_url: str) -> AsyncIterator[Browser]:
    """A browser with no session yet."""
    b = Browser(base_url)
    yield b
    await b.close()


@pytest.fixture
async def signed_in(mail_dir: Path, server: Runner, base_url: str) -> AsyncIterator[Browser]:
    """A browser that signed up as VIEWER (password PASSWORD), confirmed, and logged in."""
    async with signed_in_as(base_url, mail_dir, VIEWER, PASSWORD) as b:
        yield b


# A moment 7 seconds into a 30-second TOTP step, so one-time codes never collide.
TOTP_T0 = datetime(2026, 11, 30, 12, 0, 7, tzinfo=UTC)


@dataclass
class Clocked:
    server: Runner
    clock: FixedClock
    browser: Browser


@pytest.fixture
async def clocked(settings: Settings, mail_dir: Path,
                  base_url: str) -> AsyncIterator[Clocked]:
    """Every service on a clock the test moves (instead of `server`), and a browser that
    signed up as VIEWER, confirmed and logged in."""
    clock = FixedClock(TOTP_T0)
    async with running(settings, clock=clock) as runner, \
            signed_in_as(base_url, mail_dir, VIEWER, PASSWORD) as b:
        yield Clocked(runner, clock, b)
