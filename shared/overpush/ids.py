"""Random identifiers in Pushover's formats, and digests for the ones we keep secret."""

from __future__ import annotations

import hashlib
import secrets
import string
import uuid

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits


def random_key(length: int = 30, alphabet: str = ALNUM) -> str:
    """A user key, application token, receipt or secret: `length` chars from `alphabet`."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def device_id() -> str:
    """Open Client device ids are 40 lowercase alphanumerics in real captures."""
    return random_key(40, LOWER_ALNUM)


def client_secret() -> str:
    return random_key(60)


def request_id() -> str:
    return str(uuid.uuid4())


def event_id() -> str:
    return uuid.uuid4().hex


def digest(secret: str) -> str:
    """Secrets are stored as SHA-256 digests: they are random, so a slow hash adds nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()


def is_key(value: str, length: int = 30) -> bool:
    """`length` ASCII letters and digits (str.isalnum alone accepts "é" and "²"); every send
    asks this of its token and user keys, so it stays out of a Python loop per character."""
    return len(value) == length and value.isascii() and value.isalnum()


MAX_ROW_ID = 2**63 - 1  # the largest BIGINT; SQLite's INTEGER has the same range


def row_id(text: str) -> int | None:
    """A row id from a URL, or None when it cannot name a row: ASCII digits only (str.isdigit
    accepts "²", which int() then refuses) and within BIGINT, so that no database sees
    a number it cannot bind (SQLite raises OverflowError, PostgreSQL a DataError)."""
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ROW_ID else None
