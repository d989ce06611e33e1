"""Operator commands on the database file itself: ``backup``, ``restore`` and ``export``.

They use SQLite directly (the online backup API and read-only connections), never the writer:
a backup or an export is a read transaction, so it is safe while a server runs and sees one
consistent snapshot.  ``restore`` replaces the database and must not run under a live server.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from clickclack.store.connection import BUSY_TIMEOUT_MS, open_read


class OpsError(Exception):
    """A failed operator step; the CLI prints it and exits 1."""


def integrity_check(path: Path) -> str:
    """``ok`` or SQLite's first complaint about the file at ``path``."""
    if not path.is_file():
        raise OpsError(f"no database file at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    return str(row[0]) if row else "no result"


def backup(db_path: Path, out: Path) -> dict[str, object]:
    """Copy the live database to ``out`` with the online backup API in one step (one read
    transaction, so one consistent snapshot even while the server writes), then check the copy's
    integrity.  The copy is written beside ``out`` and renamed into place only when it is ok."""
    if not db_path.is_file():
        raise OpsError(f"no database file at {db_path}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = open_read(db_path)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst, pages=-1)
        # a self-contained file: no -wal/-shm beside the copy (the server reopens it in WAL)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()
    status = integrity_check(tmp)
    if status != "ok":
        tmp.unlink(missing_ok=True)
        raise OpsError(f"backup failed its integrity check: {status}")
    os.replace(tmp, out)
    return {"out": str(out), "bytes": out.stat().st_size, "integrity": status}


def restore(source: Path, db_path: Path, *, force: bool) -> dict[str, object]:
    """Replace the database at ``db_path`` with the backup ``source`` after checking the backup's
    integrity.  Refuses to overwrite an existing database without ``force``; the server must be
    stopped (SQLite cannot tell us reliably that another process has it open)."""
    status = integrity_check(source)
    if status != "ok":
        raise OpsError(f"{source} failed its integrity check: {status}")
    if db_path.exists() and not force:
        raise OpsError(f"{db_path} exists: stop the server and pass --force to replace it")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()
    return {"restored": str(db_path), "from": str(source), "integrity": integrity_check(db_path)}


# name, query (no secrets: users carry no email, password or token columns here)
EXPORT_TABLES: list[tuple[str, str]] = [
    ("workspaces", "SELECT id, name, slug, created_at FROM workspaces ORDER BY id"),
    ("users", "SELECT id, kind, display_name, handle, avatar_url, owner_user_id, created_at"
              " FROM users ORDER BY id"),
    ("members", "SELECT workspace_id, user_id, role, created_at FROM workspace_members"
                " ORDER BY workspace_id, user_id"),
    ("channels", "SELECT id, workspace_id, name, kind, created_by, created_at, archived_at"
                 " FROM channels ORDER BY workspace_id, id"),
    ("messages", "SELECT id, workspace_id, channel_id, author_id, parent_message_id,"
                 " thread_root_id, channel_seq, thread_seq, body, body_format, kind,"
                 " created_at, edited_at, deleted_at FROM messages ORDER BY id"),
]


def export_counts(conn: sqlite3.Connection) -> int:
    return sum(conn.execute(f"SELECT count(*) FROM ({q})").fetchone()[0]
               for _, q in EXPORT_TABLES)


def export_json(conn: sqlite3.Connection, out: IO[str],
                progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Stream one JSON object ``{"format": "clickclack-export/1", "<table>": [rows…]}`` to
    ``out`` row by row (never the whole database in memory), inside one read transaction."""
    counts: dict[str, int] = {}
    conn.execute("BEGIN")
    try:
        out.write('{"format": "clickclack-export/1"')
        for name, query in EXPORT_TABLES:
            out.write(f', "{name}": [')
            n = 0
            for row in _rows(conn, query):
                out.write(("\n  " if n == 0 else ",\n  ") + json.dumps(row, ensure_ascii=False))
                n += 1
                if progress is not None:
                    progress(1)
            out.write("]")
            counts[name] = n
        out.write("}\n")
    finally:
        conn.execute("COMMIT")
    return counts


def _rows(conn: sqlite3.Connection, query: str) -> Iterator[dict[str, object]]:
    cur = conn.execute(query)
    cols = [d[0] for d in cur.description]
    for r in cur:
        yield dict(zip(cols, tuple(r), strict=True))
