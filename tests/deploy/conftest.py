"""The container image and a private broker vhost for the image tests.

The image tests need podman (and kubectl to render the manifests): they skip with the reason
when it is missing, and fail instead under CI=true, where .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from testkit.backends import RABBIT
from tests.needs import CI, need_server

ROOT = Path(__file__).resolve().parents[2]


def require(tool: str, why: str) -> str:
    exe = shutil.which(tool)
    if exe is not None:
        return exe
    msg = f"{tool} is not installed ({why})"
    if CI:
        pytest.fail(f"{msg}; under CI=true .ci/run installs it and these tests must run")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def image() -> str:
    """The image under test: OVERPUSH_TEST_IMAGE (built by .ci/run), or built here now."""
    require("podman", "the image tests build and run containers with it")
    if given := os.environ.get("OVERPUSH_TEST_IMAGE"):
        return given
    # Cached layers make this a few seconds when nothing changed; minutes the first time.
    out = subprocess.run([str(ROOT / "deploy" / "build-image.sh")], capture_output=True,
                         text=True, timeout=1800)
    assert out.returncode == 0, out.stderr[-5000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def vhost() -> Iterator[str]:
    """A fresh RabbitMQ vhost for the guest user (rabbitmqctl), deleted afterwards."""
    need_server("rabbitmq", RABBIT, 5672)
    ctl = require("rabbitmqctl", "it makes the test's own vhost")
    name = f"overpush-image-{uuid.uuid4().hex[:10]}"
    user = RABBIT.split("://", 1)[1].split(":", 1)[0]

    def run(*args: str) -> None:
        out = subprocess.run([ctl, "-q", *args], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr

    run("add_vhost", name)
    try:
        run("set_permissions", "-p", name, user, ".*", ".*", ".*")
        yield RABBIT.rstrip("/") + "/" + quote(name, safe="")
    finally:
        run("delete_vhost", name)
