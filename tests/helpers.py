"""Test helpers that act like an operator on the data directory (another process writing the same
SQLite file, as the admin CLI does)."""

from __future__ import annotations

from typing import Any

from clickclack.store.connection import open_write
from clickclack.store.workspaces import add_member as _add_member
from clickclack.store.writer import Tx

_DB: dict[str, str] = {}


def run_tx(db_path: str, fn: Any, *args: Any) -> Any:
    conn = open_write(__import__("pathlib").Path(db_path), synchronous="NORMAL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        last = conn.execute("SELECT MAX(cursor) FROM events").fetchone()[0]
        result = fn(Tx(conn, last), *args)
        conn.execute("COMMIT")
        return result
    finally:
        conn.close()


async def add_member(http: Any, workspace_id: str, user_id: str, role: str = "member") -> None:
    db = _DB[str(http.base_url)]
    run_tx(db, _add_member, workspace_id, user_id, role)
