"""Notification sounds: the built-in ones synthesised (as the browser client does), custom ones
downloaded from the server, played by whatever player the desktop has, never waited for."""

from __future__ import annotations

import asyncio
import io
import math
import shutil
import struct
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

RATE = 22050
# [frequency Hz, seconds] steps; the same table as the browser client's (web/static/client.js).
TONES: dict[str, list[tuple[int, float]]] = {
    "pushover": [(880, .12), (1320, .18)], "bike": [(1500, .05), (0, .05), (1500, .05)],
    "bugle": [(523, .15), (659, .15), (784, .3)], "cashregister": [(1200, .08), (1800, .2)],
    "classical": [(659, .2), (587, .2), (523, .4)], "cosmic": [(300, .3), (600, .3)],
    "falling": [(900, .15), (700, .15), (500, .25)], "gamelan": [(700, .25), (933, .35)],
    "incoming": [(600, .1), (800, .1), (1000, .2)], "intermission": [(440, .3), (554, .3)],
    "magic": [(1046, .1), (1318, .1), (1568, .2)],
    "mechanical": [(200, .05), (0, .05), (200, .05)],
    "pianobar": [(392, .2), (494, .2), (587, .3)],
    "siren": [(700, .3), (1000, .3), (700, .3), (1000, .3)],
    "spacealarm": [(1000, .1), (0, .05), (1000, .1), (0, .05), (1000, .1)],
    "tugboat": [(150, .6)],
    "alien": [(400, .2), (800, .2), (400, .2), (800, .2), (400, .2)],
    "climb": [(300, .2), (450, .2), (600, .2), (750, .2)],
    "persistent": [(880, .2), (0, .1), (880, .2), (0, .1), (880, .2)],
    "echo": [(880, .15), (440, .15), (880, .15)], "updown": [(500, .2), (900, .2), (500, .2)],
    "vibrate": [], "none": [],
}
SOUND_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
MAX_SOUND_BYTES = 600_000  # the server caps uploads near 500 kB
# Players in order of preference, and which files each plays. PulseAudio's and PipeWire's
# players read through libsndfile (WAV; MP3 from libsndfile 1.1); aplay is WAV only.
PLAYERS: list[tuple[str, tuple[str, ...], frozenset[str]]] = [
    ("pw-play", (), frozenset({"wav", "mp3"})),
    ("paplay", (), frozenset({"wav", "mp3"})),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "quiet"), frozenset({"wav", "mp3"})),
    ("aplay", ("-q",), frozenset({"wav"})),
]


def is_builtin(name: str) -> bool:
    return name in TONES


def valid_name(name: str) -> bool:
    return 0 < len(name) <= 20 and set(name) <= SOUND_NAME_CHARS


def synthesise(name: str) -> bytes:
    """A built-in sound as 16-bit mono WAV (empty for the silent ones)."""
    frames = bytearray()
    for freq, seconds in TONES.get(name, TONES["pushover"]):
        n = int(RATE * seconds)
        for i in range(n):
            fade = min(1.0, i / 200, (n - i) / 200)  # no clicks at the edges
            value = math.sin(2 * math.pi * freq * i / RATE) * 0.3 * fade if freq else 0.0
            frames += struct.pack("<h", int(value * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return out.getvalue()


def player_for(path: Path, which: Callable[[str], str | None] = shutil.which) -> list[str] | None:
    """The command that plays `path` here, or None when no player on PATH can."""
    kind = path.suffix.lstrip(".").lower()
    for name, args, kinds in PLAYERS:
        exe = which(name)
        if exe and kind in kinds:
            return [exe, *args, str(path)]
    return None


async def play(path: Path, background: set[asyncio.Task[int]]) -> bool:
    """Start playing and return at once (the player is reaped by a task kept in
    `background`); the player's output goes nowhere."""
    command = player_for(path)
    if command is None:
        return False
    try:
        proc = await asyncio.create_subprocess_exec(
            *command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return False
    task = asyncio.create_task(proc.wait())
    background.add(task)
    task.add_done_callback(background.discard)
    return True
