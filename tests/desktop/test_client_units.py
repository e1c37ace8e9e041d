"""overpush-desktop's decisions, one by one: E2EE against apprise's own encryption, what a
message becomes as a notification, device names, backoff, private files, the systemd unit, the
WebSocket frames, and the package boundary."""

from __future__ import annotations

import ast
import base64
import random
import stat
import wave
from pathlib import Path
from typing import Any

import apprise
import pytest
import websockets
from overpush_desktop import config, e2ee, render, sounds
from overpush_desktop.listener import ELSEWHERE, REVOKED, Listener, backoff_delay
from overpush_desktop.login import device_name, numbered
from overpush_desktop.service_unit import unit_text

from tests.desktop.support import Desktop

KEY = "4f2e8a1c9b7d6e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")


def apprise_encrypt(text: str, key: str = KEY) -> str:
    """The field as apprise's Pushover plugin encrypts it (its own code, unchanged)."""
    plugin = apprise.Apprise.instantiate(
        f"pover://{'u' * 30}@{'a' * 30}?key={key}")
    assert plugin is not None and plugin.encryption_key == key
    out: str = plugin._encrypt_field(text, bytes.fromhex(key))
    return out


def test_decrypts_what_apprise_encrypts() -> None:
    key = e2ee.parse_key(KEY)
    for text in ("hello", "Grüße, 世界 ✓", "<b>bold</b>", "x" * 1024):
        assert e2ee.decrypt_field(apprise_encrypt(text), key) == text
    message = {"id": 7, "encrypted": 1, "priority": 0, "html": 1, "app": "Vault",
               "message": apprise_encrypt('<b>open</b><script>alert(1)</script>'),
               "title": apprise_encrypt("Vault"), "url": apprise_encrypt("javascript:alert(1)"),
               "url_title": apprise_encrypt("click")}
    opened = e2ee.decrypt_message(message, key)
    assert opened["decrypted"] == 1 and opened["title"] == "Vault"
    assert opened["message"] == "<b>open</b><script>alert(1)</script>"
    # What was decrypted never passed the server's checks: the client's apply.
    shown = render.notice(opened, with_markup=True)
    assert shown is not None and shown.body == "<b>open</b>" and shown.url is None


def test_refuses_what_it_cannot_authenticate() -> None:
    key = e2ee.parse_key(KEY)
    field = apprise_encrypt("secret")
    raw = bytearray(base64.b64decode(field))
    raw[20] ^= 1  # one bit of ciphertext
    for bad in (base64.b64encode(bytes(raw)).decode(), "not base64!", field[:40],
                apprise_encrypt("secret", "00" * 32)):
        with pytest.raises(e2ee.DecryptError):
            e2ee.decrypt_field(bad, key)
    wrong = e2ee.decrypt_message({"id": 1, "encrypted": 1, "message": field,
                                  "title": field}, bytes(32))
    assert wrong == {"id": 1, "encrypted": 1, "message": e2ee.BAD_KEY, "decrypted": 0}
    assert e2ee.decrypt_message({"encrypted": 1, "message": field}, None)["message"] == \
        e2ee.NO_KEY
    plain = {"id": 2, "message": "hi"}
    assert e2ee.decrypt_message(plain, key) is plain


def test_a_gzip_bomb_stops_at_the_bound() -> None:
    with pytest.raises(e2ee.DecryptError, match="too long"):
        e2ee.decrypt_field(apprise_encrypt("a" * (e2ee.MAX_PLAINTEXT + 1)),
                           e2ee.parse_key(KEY))


def test_key_format() -> None:
    assert e2ee.parse_key(KEY.upper() + "\n") == bytes.fromhex(KEY)
    for bad in ("", KEY[:-1], KEY + "0", "g" * 64):
        with pytest.raises(ValueError, match="64 hexadecimal"):
            e2ee.parse_key(bad)


def _m(**fields: Any) -> dict[str, Any]:
    return {"id": 1, "umid": 9, "app": "Backups", "icon": "3", "message": "hi",
            "priority": 0, **fields}


def test_what_each_priority_shows() -> None:
    assert render.notice(_m(priority=-2), True) is None
    quiet = render.notice(_m(priority=-1, sound="bike"), True)
    assert quiet is not None and (quiet.urgency, quiet.sound) == ("low", None)
    normal = render.notice(_m(sound="bike"), True)
    assert normal is not None and (normal.urgency, normal.sound, normal.icon) == (
        "normal", "bike", "3")
    assert normal.title == "Backups" and normal.key == "message:1" and normal.receipt is None
    alarm = render.notice(_m(priority=2, receipt="r" * 30, acked=0), False)
    assert alarm is not None and (alarm.urgency, alarm.sound, alarm.receipt) == (
        "critical", "persistent", "r" * 30)
    assert alarm.key == f"receipt:{'r' * 30}"
    assert render.notice(_m(priority=2, receipt="r" * 30, acked=1), True) is None
    assert render.notice(_m(sound="none"), True).sound is None  # type: ignore[union-attr]


def test_bodies_and_links() -> None:
    text = '<b>a</b><br><u>b</u> <font color="#f00">c</font> <a href="twitter://x">t</a> &amp;'
    assert render.body_of(_m(message=text, html=1), True) == \
        '<b>a</b>\n<u>b</u> c <a href="twitter://x">t</a> &amp;'
    assert render.body_of(_m(message=text, html=1), False) == "a\nb c t &"
    assert render.body_of(_m(message="1 < 2 & <b>", html=0), True) == "1 &lt; 2 &amp; &lt;b&gt;"
    assert render.body_of(_m(message="x", url="https://e.example", url_title="Log"), False) == \
        "x\nLog: https://e.example"
    for bad in ("javascript:alert(1)", " JavaScript:x", "data:text/html,x", "vbscript:x",
                "file:///etc/passwd", "no scheme", ""):
        assert render.safe_link(bad) is None, bad
    for good in ("https://x.example/a", "tel:+1555", "twitter://user?id=1", "mailto:a@b.c"):
        assert render.safe_link(good) == good
    hostile = '<a href="java&#115;cript:x">a</a><a href="data:,x">b</a><img src=x onerror=y>'
    assert render.markup(hostile) == "<a>a</a><a>b</a>"


def test_device_names() -> None:
    assert device_name("laptop.example.com") == "laptop"
    assert device_name("Jörg's ThinkPad (2)") == "J-rg-s-ThinkPad-2"
    assert device_name("...") == "desktop" and device_name("") == "desktop"
    assert device_name("a" * 40) == "a" * 25
    assert numbered("laptop", 1) == "laptop" and numbered("laptop", 12) == "laptop-12"
    assert numbered("b" * 25, 3) == "b" * 23 + "-3"


def test_backoff_grows_with_jitter_to_the_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (40, 60.0)):
        delays = [backoff_delay(attempt, 1.0, 60.0, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered, not one fixed value


def test_private_files(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    login = config.Login("http://h", "a@b.c", "u" * 30, "d" * 40, "desk", "s" * 60)
    path = config.save_login(login, env)
    assert path == tmp_path / "cfg" / "overpush" / "desktop.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert config.load_login(env) == login
    config.save_key(KEY, env)
    assert config.load_key(env) == bytes.fromhex(KEY)
    assert stat.S_IMODE((path.parent / "e2ee.key").stat().st_mode) == 0o600
    config.forget_login(env)
    assert config.load_login(env) is None
    assert config.config_dir({"HOME": "/home/ann"}) == Path("/home/ann/.config/overpush")


def test_sounds() -> None:
    import io

    with wave.open(io.BytesIO(sounds.synthesise("bike"))) as w:
        assert (w.getnchannels(), w.getframerate()) == (1, sounds.RATE)
        assert w.getnframes() == int(sounds.RATE * .05) * 3
    everything = {"pw-play": None, "paplay": "/usr/bin/paplay", "aplay": "/usr/bin/aplay"}
    assert sounds.player_for(Path("s.wav"), everything.get) == ["/usr/bin/paplay", "s.wav"]
    only_aplay = {"aplay": "/usr/bin/aplay"}
    assert sounds.player_for(Path("s.wav"), only_aplay.get) == ["/usr/bin/aplay", "-q", "s.wav"]
    assert sounds.player_for(Path("s.mp3"), only_aplay.get) is None


def test_systemd_unit() -> None:
    text = unit_text("/opt/op/bin/overpush-desktop", {"XDG_CONFIG_HOME": "/cfg"})
    assert "ExecStart=/opt/op/bin/overpush-desktop listen\n" in text
    assert "Environment=XDG_CONFIG_HOME=/cfg\n" in text
    assert f"RestartPreventExitStatus={REVOKED} {ELSEWHERE}\n" in text
    assert "Restart=on-failure\n" in text and "WantedBy=default.target\n" in text
    assert text.startswith("[Unit]\nDescription=")


async def test_install_service_without_systemctl(tmp_path: Path) -> None:
    desk = Desktop(tmp_path)
    env = {**desk.env(), "PATH": str(tmp_path / "empty")}
    code, out, err = await desk.run("install-service", env=env)
    unit = tmp_path / "config" / "systemd" / "user" / "overpush-desktop.service"
    assert code == 0, err
    assert out == (f"wrote {unit}; systemctl is not installed here, so enable it with: "
                   "systemctl --user enable --now overpush-desktop.service\n")
    assert "/overpush-desktop listen\n" in unit.read_text()
    assert stat.S_IMODE(unit.stat().st_mode) == 0o600


@pytest.mark.parametrize(("frames", "status"), [([b"R", b"E"], REVOKED), ([b"A"], ELSEWHERE)])
async def test_frames_R_reconnects_E_and_A_stop(frames: list[bytes], status: int) -> None:
    """The server of issue 14 sends A; until then, a stand-in WebSocket server says it."""
    logins: list[str] = []

    async def handler(ws: Any) -> None:
        logins.append(await ws.recv())
        await ws.send(frames[len(logins) - 1])
        await ws.wait_closed()

    async with websockets.serve(handler, "127.0.0.1", 0) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        login = config.Login("http://x", "a@b.c", "u", "d" * 40, "desk", "s" * 60)
        listener = Listener(login, f"ws://127.0.0.1:{port}/push", inbox=None,  # type: ignore[arg-type]
                            base_delay=0.01, max_delay=0.02)
        assert await listener.run() == status
    assert logins == [f"login:{'d' * 40}:{'s' * 60}\n"] * len(frames)


def test_the_client_and_the_server_never_import_each_other() -> None:
    def imports(folder: Path) -> set[str]:
        found: set[str] = set()
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
        return found

    assert not imports(ROOT / "clients" / "desktop") & {"overpush", "services", "tests"}
    for side in ("shared", "services"):
        assert "overpush_desktop" not in imports(ROOT / side)
