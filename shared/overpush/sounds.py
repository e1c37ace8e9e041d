"""Notification sounds (spec §2): the built-in list, and the rules for custom uploads."""

import re

BUILTIN_SOUNDS: dict[str, str] = {
    "pushover": "Pushover (default)",
    "bike": "Bike",
    "bugle": "Bugle",
    "cashregister": "Cash Register",
    "classical": "Classical",
    "cosmic": "Cosmic",
    "falling": "Falling",
    "gamelan": "Gamelan",
    "incoming": "Incoming",
    "intermission": "Intermission",
    "magic": "Magic",
    "mechanical": "Mechanical",
    "pianobar": "Piano Bar",
    "siren": "Siren",
    "spacealarm": "Space Alarm",
    "tugboat": "Tug Boat",
    "alien": "Alien Alarm (long)",
    "climb": "Climb (long)",
    "persistent": "Persistent (long)",
    "echo": "Pushover Echo (long)",
    "updown": "Up Down (long)",
    "vibrate": "Vibrate Only",
    "none": "None (silent)",
}

# Custom sounds (spec §0): letters, digits, _ and -, at most 20 characters, not a built-in.
SOUND_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
MAX_SOUND_BYTES = 512_000  # Pushover's own cap on uploaded sounds is about 500 kB


def custom_name_problem(name: str) -> str | None:
    """Why `name` cannot be a custom sound, or None if it can."""
    if not SOUND_NAME.match(name):
        return "a sound name has 1 to 20 characters of A-Z, a-z, 0-9, _ and -"
    if name in BUILTIN_SOUNDS:
        return f"{name} is a built-in sound"
    return None


def audio_extension(data: bytes) -> str | None:
    """'mp3' or 'wav' from the file's magic bytes, else None (the file name is not trusted)."""
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3":
        return "mp3"
    # A bare MPEG audio frame: 11 sync bits, then a layer that is not "reserved".
    if len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0 and data[1] & 0x06:
        return "mp3"
    return None


AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav"}
