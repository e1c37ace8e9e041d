"""Fixtures of the end-to-end tests: the published Pushover clients, unchanged but for the
base URL, pointed at this test's server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apprise
import pytest
from pushover_complete import PushoverAPI, pushover_api


@pytest.fixture
def pushover_complete(base_url: str, monkeypatch: pytest.MonkeyPatch) -> type[PushoverAPI]:
    """pushover-complete's client class; its endpoint is a module constant, patched here."""
    monkeypatch.setattr(pushover_api, "PUSHOVER_API_URL", f"{base_url}/1/")
    return PushoverAPI


@pytest.fixture
def apprise_send() -> Callable[..., bool]:
    """Sends through apprise's Pushover plugin with our endpoint as its notify URL."""

    def send(url: str, notify_url: str, **kwargs: Any) -> bool:
        plugin = apprise.Apprise.instantiate(url)
        assert plugin is not None, url
        plugin.notify_url = notify_url  # the only change: Pushover's endpoint -> ours
        result: bool = plugin.notify(**kwargs)
        return result

    return send
