"""The only module that calls ``sqlite3.connect``.

* The write connection: WAL, ``synchronous`` FULL by default (D10) or NORMAL by choice, foreign
  keys, busy timeout, a journal size limit, and ``isolation_level=None`` so that *we* issue
  ``BEGIN IMMEDIATE``/``COMMIT`` (Python 3.11's implicit transactions are off).
* Read connections: opened read-only (``mode=ro``) with ``query_only``, so a stray write fails
  loudly instead of racing the single writer.

``check_same_thread=False`` because trio's thread cache may run successive ``to_thread`` calls on
different threads; each connection is still used by one task at a time (the writer owns its own;
readers are checked out from a pool).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_MS = 5000
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

Connection = sqlite3.Connection
Row = sqlite3.Row
IntegrityError = sqlite3.IntegrityError
OperationalError = sqlite3.OperationalError
DatabaseError = sqlite3.DatabaseError


def open_write(path: Path, *, synchronous: str = "FULL") -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise sqlite3.OperationalError(f"could not switch {path} to WAL (got {mode})")
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(synchronous)
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
    return conn


def open_read(path: Path) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = 1")
    return conn


def sqlite_version() -> str:
    return sqlite3.sqlite_version
