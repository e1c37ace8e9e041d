"""No `overpush-desktop listen` outlives its test, even one that failed half-way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.desktop.support import Listening


@pytest.fixture(autouse=True)
async def _stop_listeners() -> AsyncIterator[None]:
    yield
    for listening in list(Listening.running):
        await listening.stop()
