"""Store methods for profiles, passwords, mail and rate limits.

Methods here call ``self._read(fn, *args)`` (short read on the read connection),
``await self._read_long(fn, *args)`` (long read, off the loop, time-limited) or
``await self._write(fn, *args)`` (the single writer's transaction) with plain functions of
``(conn_or_tx, ...)`` defined in the matching SQL module.  No SQL in this file.
"""

from __future__ import annotations

from clickclack.store import accounts
from clickclack.store._base import StoreBase
from clickclack.types.accounts import PatchMe, ProfileUser


class AccountsFacade(StoreBase):
    # --- profile --------------------------------------------------------------------------
    def get_profile(self, user_id: str) -> ProfileUser:
        """``/api/me``: the user plus notification settings, appearance and password state."""
        return self._read(accounts.get_profile, user_id)

    async def update_profile(self, user_id: str, patch: PatchMe) -> ProfileUser:
        return await self._write(accounts.update_profile, user_id, patch)

    # --- passwords ------------------------------------------------------------------------
    def password_hash(self, user_id: str) -> str | None:
        return self._read(accounts.password_hash, user_id)

    def login_candidate(self, identifier: str) -> tuple[str, str | None] | None:
        """(user id, password hash or None) for a normalized email or handle."""
        return self._read(accounts.login_candidate, identifier)

    async def set_password(self, user_id: str, new_hash: str, expected_old: str | None,
                           keep_session_id: str | None) -> list[str]:
        """Store the hash and revoke the user's other sessions; the revoked session ids."""
        return await self._write(accounts.set_password, user_id, new_hash, expected_old,
                                 keep_session_id)
