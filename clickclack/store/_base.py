"""The base of the store facade: how reads and writes are run.  Area mixins
(``facade_*.py``) build on these three methods only."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from clickclack.errors import Unavailable
from clickclack.store.readers import ReaderPool
from clickclack.store.writer import Writer, WriterStatistics

T = TypeVar("T")


class StoreBase:
    def __init__(self, writer: Writer, reader: sqlite3.Connection, pool: ReaderPool,
                 read_timeout_s: float = 5.0) -> None:
        self._writer = writer
        self._reader = reader
        self._pool = pool
        self._read_timeout_s = read_timeout_s

    # Reads are short, indexed queries: run directly on the trio thread (about 3x cheaper than a
    # thread hop, stack-notes 3c).  Every read fetches all rows, so no snapshot is held open.
    def _read(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(self._reader, *args)
        except sqlite3.OperationalError as exc:
            raise Unavailable("database read failed; retry later", code="db_unavailable") from exc

    async def _read_long(self, fn: Callable[..., T], *args: Any) -> T:
        """For queries that may run long: in a worker thread, under the read time limit."""
        return await self._pool.run(fn, *args, timeout_s=self._read_timeout_s)

    def writer_statistics(self) -> WriterStatistics:
        return self._writer.statistics()

    async def ping(self) -> None:
        self._read(lambda c: c.execute("SELECT 1").fetchall())

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(tx, *args)`` in the single writer's transaction."""
        return await self._writer.submit(fn, *args)
