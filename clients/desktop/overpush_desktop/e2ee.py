"""Pushover's end-to-end encryption, receiving side.

Each of `message`, `title`, `url`, `url_title` of a message marked `"encrypted": 1` is
base64(IV(16) ‖ AES-256-CBC(PKCS7(gzip(UTF-8))) ‖ HMAC-SHA256(key, IV ‖ ciphertext)), the key
being 32 bytes the user keeps (64 hex characters); the server never sees it. The HMAC is checked
first, in constant time, so nothing unauthenticated is ever decrypted or decompressed.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FIELDS = ("message", "title", "url", "url_title")
HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
IV, MAC, BLOCK = 16, 32, 16
MAX_PLAINTEXT = 64 * 1024  # far above Pushover's 1024-character message: a gzip bomb stops here
NO_KEY = "[encrypted message: set its key with `overpush-desktop key set`]"
BAD_KEY = "[encrypted message that this key cannot open: check `overpush-desktop key set`]"


class DecryptError(Exception):
    """Not a well-formed field, or not made with this key."""


def parse_key(text: str) -> bytes:
    text = text.strip()
    if not HEX_KEY.match(text):
        raise ValueError("an end-to-end encryption key is 64 hexadecimal characters")
    return bytes.fromhex(text)


def decrypt_field(value: str, key: bytes) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptError("not base64") from exc
    if len(raw) < IV + BLOCK + MAC or (len(raw) - IV - MAC) % BLOCK:
        raise DecryptError("wrong length")
    iv, ciphertext, tag = raw[:IV], raw[IV:-MAC], raw[-MAC:]
    check = hmac.HMAC(key, hashes.SHA256())
    check.update(iv + ciphertext)
    try:
        check.verify(tag)  # constant-time comparison
    except InvalidSignature as exc:
        raise DecryptError("authentication failed") from exc
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        compressed = unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise DecryptError("bad padding") from exc
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        plain = inflater.decompress(compressed, MAX_PLAINTEXT)
    except zlib.error as exc:
        raise DecryptError("not gzip") from exc
    if inflater.unconsumed_tail or not inflater.eof:
        raise DecryptError("too long, or truncated")
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecryptError("not UTF-8") from exc


def decrypt_message(message: dict[str, Any], key: bytes | None) -> dict[str, Any]:
    """The message with its encrypted fields opened (`"decrypted": 1`), or, without the key
    or with the wrong one, a message that says so in place of the text (`"decrypted": 0`)."""
    if not message.get("encrypted"):
        return message
    out = dict(message)
    try:
        if key is None:
            raise DecryptError("no key")
        for name in FIELDS:
            if isinstance(message.get(name), str) and message[name]:
                out[name] = decrypt_field(message[name], key)
        out["decrypted"] = 1
        return out
    except DecryptError:
        failed = {k: v for k, v in message.items() if k not in FIELDS}
        return {**failed, "message": NO_KEY if key is None else BAD_KEY, "decrypted": 0}
