"""Fixtures of the service tests (every service in this process, real HTTP, both backends):
Ann with her laptop, an application of hers, a server that enforces licences, where the
server writes its mail, and the real `overpush` processes a test starts (`procs`, killed
afterwards)."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from overpush.clock import FixedClock
from overpush.settings import Settings

from services.runner import Runner
from testkit.procs import Proc
from testkit.servers import running
from tests.factories import Person, make_app, person
from tests.services.licensing_support import T0


@pytest.fixture
def ann_connects() -> bool:
    """Whether Ann's laptop opens its WebSocket; a module that tests the log-in itself
    overrides this with False."""
    return True


@pytest.fixture
async def ann(server: Runner, http: httpx.AsyncClient, base_url: str,
              ann_connects: bool) -> AsyncIterator[Person]:
    """A user with one registered desktop device, "laptop"."""
    p = await person(server.rt, http, base_url, "laptop", connect=ann_connects)
    yield p
    await p.close()


@pytest.fixture
async def token(server: Runner, ann: Person) -> str:
    """An application of Ann's, "Backups"."""
    return await make_app(server.rt, ann.account, "Backups")


@pytest.fixture
async def enforcing(settings: Settings) -> AsyncIterator[tuple[Runner, FixedClock]]:
    """Every service with licensing enforced (the tests' rule; installations default off),
    on a clock the test moves."""
    clock = FixedClock(T0)
    async with running(settings.model_copy(update={"licensing_enforced": True}),
                       clock=clock) as runner:
        yield runner, clock


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """The `overpush` processes a test starts; whatever still runs afterwards is killed."""
    started: list[Proc] = []
    yield started
    for p in reversed(started):
        p.stop(signal.SIGKILL if p.p.poll() is None else signal.SIGTERM)


@pytest.fixture
def mail_dir(settings: Settings, tmp_path: Path) -> Path:
    """Where the server writes its mail (asked for before `server`, so it starts with it)."""
    settings.mail_dir = str(tmp_path / "mail")
    return tmp_path / "mail"
