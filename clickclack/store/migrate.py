"""Schema migrations from ``schema/NNNN_name.sql``, with sqlite-utils' ``Migrations`` semantics.

* Files apply in filename order; the filename (without ``.sql``) is the key in
  ``schema_migrations(name, applied_at)``.
* Each file and its tracking row run in **one** ``BEGIN IMMEDIATE`` transaction, so a failed
  migration leaves nothing behind and is retried next start.
* :func:`pending` and :func:`applied` only read.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from clickclack.ids import now_ts


def schema_dir() -> Path:
    # Editable/development installs: the repository's top-level schema/ next to the package.
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "schema", here.parents[1] / "_schema"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("schema/ directory not found next to the clickclack package")


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    sql: str


def available(directory: Path | None = None) -> list[Migration]:
    directory = directory or schema_dir()
    return [
        Migration(p.stem, p.read_text(encoding="utf-8"))
        for p in sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    ]


def applied(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
    ).fetchone()
    if not exists:
        return []
    return [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]


def pending(conn: sqlite3.Connection, directory: Path | None = None) -> list[Migration]:
    done = set(applied(conn))
    return [m for m in available(directory) if m.name not in done]


def _statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers contain inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf)
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at end of migration: {buf[:80]!r}")
    return out


def apply(conn: sqlite3.Connection, directory: Path | None = None) -> list[str]:
    """Apply every pending migration; return the names applied.  ``conn`` must be in autocommit
    mode (``isolation_level=None``)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) STRICT"
    )
    done: list[str] = []
    for migration in pending(conn, directory):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check inside the write lock: another process may have applied it meanwhile.
            if conn.execute(
                "SELECT 1 FROM schema_migrations WHERE name = ?", (migration.name,)
            ).fetchone():
                conn.execute("COMMIT")
                continue
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                (migration.name, now_ts()),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        done.append(migration.name)
    return done
