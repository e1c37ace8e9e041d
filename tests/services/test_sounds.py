"""Sounds (spec §2): the built-in list, custom sounds uploaded with `overpush admin add-sound`,
served to devices, and accepted only for the application that owns them."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import httpx
import pytest
from overpush.settings import Settings
from overpush.sounds import BUILTIN_SOUNDS

from services.runner import Runner
from testkit.backends import sqlite_settings
from testkit.procs import OVERPUSH, cli, env_for
from tests.factories import make_app, make_user, user_with_device


def wav_bytes() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\1" * 800)
    return buf.getvalue()


async def test_custom_sounds_end_to_end(server: Runner, base_url: str, settings: Settings,
                                        tmp_path: Path) -> None:
    rt = server.rt
    env = env_for(settings)
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http, connect=True)
        token = await make_app(rt, await make_user(rt))
        other = await make_app(rt, await make_user(rt))

        r = await http.get(f"{base_url}/1/sounds.json", params={"token": token})
        assert r.status_code == 200 and r.json()["sounds"] == BUILTIN_SOUNDS
        assert len(r.json()["sounds"]) == 23

        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": dev.user_key, "message": "m", "sound": "doorbell"})
        assert r.status_code == 400 and r.json()["sound"] == "invalid"

        (tmp_path / "bell.wav").write_bytes(wav := wav_bytes())
        out = cli(env, "admin", "add-sound", token, "doorbell", str(tmp_path / "bell.wav"),
                  "--description", "Door bell")
        assert out["sound"] == "doorbell" and out["type"] == "wav"

        r = await http.get(f"{base_url}/1/sounds.json", params={"token": token})
        assert r.json()["sounds"]["doorbell"] == "Door bell"
        assert len(r.json()["sounds"]) == 24
        r = await http.get(f"{base_url}/1/sounds.json", params={"token": other})
        assert "doorbell" not in r.json()["sounds"]

        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": token, "user": dev.user_key, "message": "ding", "sound": "doorbell"})
        assert r.status_code == 200, r.text
        [m] = await dev.receive(http)
        assert m["sound"] == "doorbell"
        f = await http.get(f"{base_url}/sounds/{m['aid']}/doorbell.mp3")
        assert f.status_code == 200 and f.content == wav
        assert f.headers["content-type"] == "audio/wav"

        r = await http.post(f"{base_url}/1/messages.json", data={
            "token": other, "user": dev.user_key, "message": "m", "sound": "doorbell"})
        assert r.status_code == 400 and r.json()["sound"] == "invalid"
        await dev.close()


@pytest.mark.slow  # one real `overpush` command after another
def test_add_sound_refuses_bad_names_and_files(tmp_path: Path) -> None:
    import subprocess

    env = env_for(sqlite_settings(tmp_path))
    cli(env, "admin", "create-user", "o@example.com", "--password-stdin",
        stdin="a long enough password\n")
    token = cli(env, "admin", "create-app", "o@example.com", "App")["token"]
    (tmp_path / "x.mp3").write_bytes(b"%PDF-1.4 this is no sound")
    (tmp_path / "ok.mp3").write_bytes(b"ID3\x04\x00" + b"\0" * 100)
    for name, path, text in (("pushover", "ok.mp3", "built-in"),
                             ("bad name!", "ok.mp3", "1 to 20"),
                             ("x" * 21, "ok.mp3", "1 to 20"),
                             ("fine", "x.mp3", "MP3 or WAV")):
        out = subprocess.run([OVERPUSH, "admin", "add-sound", token, name,
                              str(tmp_path / path)], env=env, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 1 and text in out.stdout, out.stdout
    assert cli(env, "admin", "add-sound", token, "fine", str(tmp_path / "ok.mp3"))["type"] == "mp3"
    # The quota commands of the same CLI.
    assert cli(env, "admin", "set-limit", token, "120")["monthly_limit"] == 120
    assert cli(env, "admin", "add-capacity", token, "25000")["capacity_remaining"] == 25_000
    assert cli(env, "admin", "add-capacity", token, "10000")["capacity_remaining"] == 35_000
    out = subprocess.run([OVERPUSH, "admin", "add-capacity", token, "999"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "packs" in out.stdout
