"""Password hashing for the opt-in password sign-in (``--password-auth``).

* argon2id through argon2-cffi, with its default profile (RFC 9106 low-memory: t=3, m=64 MiB,
  p=4; about 0.1-0.2 s per derivation on the target machine).
* Every derivation (hash or verify) runs in a worker thread behind a ``trio.CapacityLimiter``
  of 2, so a login storm costs at most 2 x 64 MiB and 2 threads, and never blocks the event
  loop.  :meth:`Passwords.statistics` reports the most derivations ever seen at once.
* Lengths are checked *before* any derivation: 8-256 code points.
* An unknown account is verified against a fixed dummy hash with the same parameters, so it
  costs exactly what a wrong password costs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import argon2
import trio
from argon2.exceptions import InvalidHashError, VerificationError

from clickclack.errors import BadRequest

T = TypeVar("T")

MIN_LENGTH = 8
MAX_LENGTH = 256
MAX_CONCURRENT = 2

# argon2id of a random string nobody knows, made with argon2-cffi's default parameters.  Used
# when the account does not exist; if the defaults ever change, a fresh one is made at first use.
_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$LpZgAMglRAT8YaXz8qpraQ$"
               "SruqSVonOM/nSaHDKu/E0ztmLNiec8Sj+nz4DnSBRmE")


def check_length(password: str, field: str = "password", *, minimum: bool = True) -> None:
    """400 for a password outside 8-256 code points (``minimum=False``: only the maximum, for
    sign-in, where a short password is simply wrong)."""
    if len(password) > MAX_LENGTH:
        raise BadRequest(f"{field} must be at most {MAX_LENGTH} characters",
                         code="password_too_long")
    if minimum and len(password) < MIN_LENGTH:
        raise BadRequest(f"{field} must be at least {MIN_LENGTH} characters",
                         code="password_too_short")


@dataclass(frozen=True, slots=True)
class PasswordStatistics:
    derivations: int  # hashes + verifications run so far
    active: int  # running right now
    max_concurrent: int  # the most ever running at once (never above the limiter's size)


class Passwords:
    def __init__(self, max_concurrent: int = MAX_CONCURRENT,
                 hasher: argon2.PasswordHasher | None = None) -> None:
        self._ph = hasher or argon2.PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._limiter = trio.CapacityLimiter(max_concurrent)
        self._dummy: str | None = None if self._ph.check_needs_rehash(_DUMMY_HASH) \
            else _DUMMY_HASH
        self._dummy_lock = trio.Lock()
        self._derivations = 0
        self._active = 0
        self._max_active = 0

    async def _derive(self, fn: Callable[..., T], *args: object) -> T:
        async with self._limiter:
            self._derivations += 1
            self._active += 1
            self._max_active = max(self._max_active, self._active)
            try:
                # Not abandoned on cancel: the counters stay true and the thread stays bounded.
                return await trio.to_thread.run_sync(fn, *args)
            finally:
                self._active -= 1

    async def hash(self, password: str) -> str:
        check_length(password)
        return await self._derive(self._ph.hash, password)

    async def _dummy_hash(self) -> str:
        async with self._dummy_lock:
            if self._dummy is None:
                self._dummy = await self._derive(self._ph.hash, secrets.token_urlsafe(24))
            return self._dummy

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored``.  ``stored=None`` (no such account, or no
        password) costs one derivation all the same and returns False."""
        check_length(password, minimum=False)
        target = stored if stored is not None else await self._dummy_hash()

        def check() -> bool:
            try:
                return bool(self._ph.verify(target, password))
            except (VerificationError, InvalidHashError):
                return False

        ok = await self._derive(check)
        return ok and stored is not None

    def statistics(self) -> PasswordStatistics:
        return PasswordStatistics(self._derivations, self._active, self._max_active)
