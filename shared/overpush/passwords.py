"""argon2id password hashing, run in threads with a cap: one verify costs ~170 ms of CPU here."""

from __future__ import annotations

import asyncio
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, concurrency: int = 2, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()  # RFC 9106 low-memory profile, argon2id
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None
        # How long a verify takes here (a moving average), so that a log-in for an unknown
        # account can take as long without using the pool (`pretend`); and how many verifies
        # ran, for the metrics and tests.
        self.verify_seconds = 0.2
        self.verifies = 0

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
            self.verifies += 1
            started = time.perf_counter()
            ok = await asyncio.to_thread(self._verify, stored, password)
            self.verify_seconds += (time.perf_counter() - started - self.verify_seconds) / 8
            return ok

    async def pretend(self) -> None:
        """Take as long as a verify, at no cost: a log-in for an account that does not exist
        answers in the same time as a wrong password, but never waits for or takes a slot
        of the pool, so a flood of bogus log-ins cannot slow real ones down."""
        await asyncio.sleep(self.verify_seconds)

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
