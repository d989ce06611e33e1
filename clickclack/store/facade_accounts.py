"""Store methods for profiles, passwords, mail and rate limits.

Methods here call ``self._read(fn, *args)`` (short read on the read connection),
``await self._read_long(fn, *args)`` (long read, off the loop, time-limited) or
``await self._write(fn, *args)`` (the single writer's transaction) with plain functions of
``(conn_or_tx, ...)`` defined in the matching SQL module.  No SQL in this file.
"""

from __future__ import annotations

from clickclack.store._base import StoreBase


class AccountsFacade(StoreBase):
    pass
