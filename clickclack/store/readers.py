"""Long reads, off the event loop, with a time limit.

Short indexed reads run directly on the trio thread (cheaper than a thread hop).  Anything that
may run long (search, exports, large scans) goes through :class:`ReaderPool`: a few read-only
connections behind a ``CapacityLimiter``, each query run in a worker thread and stopped by
SQLite's progress handler when its deadline passes (a cancelled thread would otherwise keep
running).  The caller gets :class:`~clickclack.errors.Unavailable` (503, ``query_timeout``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import trio

from clickclack.errors import Unavailable
from clickclack.store.connection import open_read

T = TypeVar("T")
PROGRESS_OPS = 10_000  # SQLite VM steps between deadline checks (well under a millisecond)


class ReaderPool:
    def __init__(self, path: Path, size: int = 2) -> None:
        self._free = [open_read(path) for _ in range(size)]
        self._limiter = trio.CapacityLimiter(size)

    async def run(self, fn: Callable[..., T], *args: Any, timeout_s: float) -> T:
        async with self._limiter:
            conn = self._free.pop()
            deadline = time.monotonic() + timeout_s
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_OPS)
            try:
                return await trio.to_thread.run_sync(fn, conn, *args)
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise Unavailable(f"the query did not finish within {timeout_s:g}s",
                                      code="query_timeout") from exc
                raise Unavailable("database read failed; retry later",
                                  code="db_unavailable") from exc
            finally:
                conn.set_progress_handler(None, 0)
                self._free.append(conn)

    def close(self) -> None:
        for conn in self._free:
            conn.close()
