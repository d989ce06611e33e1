"""Reading the durable event log for one caller (contract 14.4/14.5).

Visibility: events of workspaces the caller belongs to; private events only when the caller is
on the recipient list.  The same rule is applied in memory by :meth:`Event.visible_to` for live
delivery, so replay and live agree.
"""

from __future__ import annotations

import sqlite3

from clickclack.events import Event
from clickclack.store.writer import event_from_row

# Parameters: workspace_id, user_id, is_guest (0/1).
_VISIBLE = (
    " FROM events e WHERE e.workspace_id = ? AND (e.is_private = 0 OR EXISTS ("
    "SELECT 1 FROM event_recipients r WHERE r.event_id = e.id AND r.user_id = ?))"
    " AND (? = 0 OR e.guest_visible = 1)"
)
_COLS = "SELECT e.id, e.cursor, e.type, e.workspace_id, e.channel_id, e.seq, e.payload_json," \
        " e.created_at, e.is_private, e.guest_visible"


def tail_cursor(conn: sqlite3.Connection, workspace_id: str, user_id: str,
                is_guest: bool = False) -> str:
    # ORDER BY ... LIMIT 1 walks the (workspace_id, cursor) index backwards and stops at the
    # first visible event; MAX() with the EXISTS filter would scan the whole workspace.
    r = conn.execute("SELECT e.cursor" + _VISIBLE + " ORDER BY e.cursor DESC LIMIT 1",
                     (workspace_id, user_id, int(is_guest))).fetchone()
    return r[0] if r else ""


def cursor_exists(conn: sqlite3.Connection, workspace_id: str, cursor: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM events WHERE workspace_id = ? AND cursor = ?", (workspace_id, cursor)
    ).fetchone() is not None


def events_after(conn: sqlite3.Connection, workspace_id: str, user_id: str, after: str,
                 limit: int, upto: str | None = None, is_guest: bool = False) -> list[Event]:
    sql = _COLS + _VISIBLE + " AND e.cursor > ?"
    params: list[object] = [workspace_id, user_id, int(is_guest), after]
    if upto is not None:
        sql += " AND e.cursor <= ?"
        params.append(upto)
    sql += " ORDER BY e.cursor LIMIT ?"
    params.append(limit)
    rows = conn.execute(sql, params).fetchall()
    return [event_from_row(conn, r) for r in rows]


def count_after(conn: sqlite3.Connection, workspace_id: str, user_id: str, after: str,
                upto: str, cap: int, is_guest: bool = False) -> int:
    """How many visible events lie in (after, upto], counting no further than ``cap``."""
    r = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1" + _VISIBLE + " AND e.cursor > ? AND e.cursor <= ?"
        " LIMIT ?)",
        (workspace_id, user_id, int(is_guest), after, upto, cap),
    ).fetchone()
    return int(r[0])
