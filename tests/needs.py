"""What a test needs from the machine (a server, a program): without it the test is skipped
with the reason, except under CI=true, where every test must run and it fails instead."""

from __future__ import annotations

import os

import pytest

from testkit.backends import reachable

CI = os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> None:
    """Skip (or, under CI=true, fail) the running test for `reason`."""
    if CI:
        pytest.fail(f"{reason}; under CI=true this test must run")
    pytest.skip(reason)


def need_server(what: str, url: str, port: int) -> None:
    if not reachable(url, port):
        missing(f"{what} is not reachable at {url} "
                f"(start it, or set OVERPUSH_TEST_{what.upper()})")
