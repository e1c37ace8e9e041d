"""The loop `overpush run` runs on: uvloop when installed, asyncio's own on request."""

from __future__ import annotations

import asyncio

import pytest
from overpush import eventloop
from overpush.settings import Settings


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_auto_runs_on_uvloop_where_installed() -> None:
    assert eventloop.uvloop_available()  # a dependency through uvicorn[standard]
    assert eventloop.run(_loop_module()).startswith("uvloop")


def test_asyncio_keeps_the_standard_loop() -> None:
    assert eventloop.run(_loop_module(), "asyncio").startswith("asyncio")
    assert eventloop.loop_factory("asyncio") is None


def test_the_setting_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERPUSH_EVENT_LOOP", "asyncio")
    assert Settings().event_loop == "asyncio"
    monkeypatch.setenv("OVERPUSH_EVENT_LOOP", "tokio")
    with pytest.raises(ValueError):
        Settings()
