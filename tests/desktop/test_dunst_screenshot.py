"""One run with a real notification daemon: Debian's dunst on Xvfb, a session bus, the real
`overpush-desktop listen`, and a screenshot kept in tests/artifacts/desktop/ to look at."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from overpush.settings import Settings
from PIL import Image

from services.runner import Runner
from testkit.backends import sqlite_settings
from tests.desktop.notification_service import session_bus
from tests.desktop.support import Desktop
from tests.factories import PASSWORD, image_bytes, make_app, make_user
from tests.needs import CI

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "desktop"
TOOLS = {"Xvfb": "xvfb", "dunst": "dunst", "dunstctl": "dunst", "import": "imagemagick"}
DUNSTRC = """[global]
    font = DejaVu Sans 11
    width = 460
    height = 300
    origin = top-right
    offset = 20x20
    frame_width = 2
    gap_size = 8
    padding = 10
    horizontal_padding = 12
    markup = full
    format = "<b>%s</b>\\n%b"
    icon_position = left
    min_icon_size = 48
    max_icon_size = 64
    show_indicators = no
[urgency_low]
    background = "#f5f5f5"
    foreground = "#555555"
    frame_color = "#cccccc"
[urgency_normal]
    background = "#ffffff"
    foreground = "#222222"
    frame_color = "#3b82f6"
[urgency_critical]
    background = "#fff1f0"
    foreground = "#7f1d1d"
    frame_color = "#dc2626"
    timeout = 0
"""
pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]  # `overpush-desktop` and dunst


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """One backend is enough here: this is about pixels, not about the server."""
    return sqlite_settings(tmp_path)


def _need_tools() -> None:
    missing = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        msg = f"needs Debian packages {', '.join(missing)}"
        if CI:
            pytest.fail(f"{msg}; .ci/run installs them")
        pytest.skip(f"{msg} (apt-get install {' '.join(missing)})")


@pytest.fixture
async def display() -> AsyncIterator[str]:
    _need_tools()
    xvfb = await asyncio.create_subprocess_exec(
        "Xvfb", "-displayfd", "1", "-screen", "0", "1280x720x24", "-nolisten", "tcp",
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert xvfb.stdout is not None
    number = (await asyncio.wait_for(xvfb.stdout.readline(), 30)).decode().strip()
    try:
        yield f":{number}"
    finally:
        xvfb.terminate()
        await xvfb.wait()


async def _dunstctl(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec("dunstctl", *args, env=env,
                                                stdout=subprocess.PIPE,
                                                stderr=subprocess.DEVNULL)
    out, _ = await proc.communicate()
    return out.decode().strip() if proc.returncode == 0 else ""


async def _until_dunst(env: dict[str, str], what: str, check: str) -> None:
    for _ in range(600):
        if await _dunstctl(env, *what.split()) == check:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"dunstctl {what} never answered {check}")


async def test_dunst_shows_messages(server: Runner, base_url: str, tmp_path: Path,
                                    display: str) -> None:
    async with session_bus() as bus:
        desk = Desktop(tmp_path / "desk", bus=bus, display=display)
        desk.fake_tools("paplay")
        env = desk.env()
        rc = tmp_path / "dunstrc"
        rc.write_text(DUNSTRC)
        dunst = await asyncio.create_subprocess_exec(
            "dunst", "-config", str(rc), env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            await _until_dunst(env, "is-paused", "false")
            me = await make_user(server.rt)
            token = await make_app(server.rt, await make_user(server.rt), name="Backups")
            await desk.login(base_url, me.email, PASSWORD, "--name", "workstation")
            listening = await desk.listen()
            await listening.wait_log("listening on")
            async with httpx.AsyncClient(timeout=10) as http:
                for data in (
                    {"title": "Backup finished", "html": "1",
                     "message": "<b>db1</b> backed up in <i>16 minutes</i> &amp; verified",
                     "url": "https://backups.example.com/db1", "url_title": "Report"},
                    {"title": "Disk almost full", "priority": "-1",
                     "message": "/var on web2 is 91% full"},
                    {"title": "db1 is down", "priority": "2", "retry": "60", "expire": "3600",
                     "message": "Primary database unreachable for 2 minutes"},
                ):
                    r = await http.post(f"{base_url}/1/messages.json",
                                        data={"token": token, "user": me.user_key, **data})
                    assert r.status_code == 200, r.text
                r = await http.post(f"{base_url}/1/messages.json", data={
                    "token": token, "user": me.user_key, "title": "Camera 2",
                    "message": "Motion at the back door"},
                    files={"attachment": ("m.png", image_bytes("PNG", (64, 48)))})
                assert r.status_code == 200, r.text
            await _until_dunst(env, "count displayed", "4")
            await asyncio.sleep(1)  # dunst draws on its next frame
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "dunst-notifications.png"
            proc = await asyncio.create_subprocess_exec(
                "import", "-display", display, "-window", "root", str(shot), env=env)
            assert await proc.wait() == 0
            await listening.stop()
        finally:
            dunst.terminate()
            await dunst.wait()
    with Image.open(shot) as img:
        right = img.convert("RGB").crop((img.width - 500, 0, img.width, 400))
        assert len(right.getcolors(1 << 16) or []) > 20  # drawn notifications, not a blank
