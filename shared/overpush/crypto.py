"""Per-device encryption of what passes through Apple and Google: AES-256-GCM, base64url."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # the GCM standard nonce; random per message, so keys never see a repeat


def new_key() -> str:
    """A fresh 256-bit key, as the base64url text stored and handed to the device once."""
    return _b64(AESGCM.generate_key(bit_length=256))


def seal(key: str, plaintext: bytes, aad: bytes) -> str:
    """nonce || ciphertext+tag, base64url; `aad` binds it to the device (its public id)."""
    nonce = os.urandom(NONCE_BYTES)
    return _b64(nonce + AESGCM(_unb64(key)).encrypt(nonce, plaintext, aad))


def open_sealed(key: str, sealed: str, aad: bytes) -> bytes:
    """What the device app does with a sealed payload (raises InvalidTag if tampered)."""
    raw = _unb64(sealed)
    return AESGCM(_unb64(key)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
