"""argon2id password hashing, run in threads with a cap: one verify costs ~170 ms of CPU here."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, concurrency: int = 2, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()  # RFC 9106 low-memory profile, argon2id
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    @property
    def dummy(self) -> str:
        """A real hash of nothing, to verify against for unknown accounts (equal timing)."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("not a password")
        return self._dummy

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with other parameters than today's: re-hash on log-in."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
