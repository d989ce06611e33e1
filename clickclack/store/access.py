"""Access control, in one place.  Every store function that reads or changes something in a
workspace calls one of these first -- inside its own query or write transaction -- so a route
cannot forget the check and a check cannot race the change.

Rule (D2): what the caller may not see is *not found*.  Bot tokens are bound to one workspace:
a bot token never reaches another workspace, even one the bot has joined since.
"""

from __future__ import annotations

import sqlite3

from clickclack.actor import Actor
from clickclack.errors import NotFound

MANAGER_ROLES = frozenset({"owner", "moderator"})


def member_role(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> str:
    """The caller's role in the workspace, or NotFound."""
    if actor.bot_workspace_id is not None and actor.bot_workspace_id != workspace_id:
        raise NotFound("workspace not found", code="workspace_not_found")
    r = conn.execute(
        "SELECT role FROM workspace_members WHERE workspace_id = ? AND user_id = ?",
        (workspace_id, actor.user_id),
    ).fetchone()
    if r is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    return str(r[0])


def channel_row(conn: sqlite3.Connection, actor: Actor, channel_id: str) -> sqlite3.Row:
    """The channel (with the caller's ``role``) if the caller may see it, else NotFound."""
    r: sqlite3.Row | None = conn.execute(
        "SELECT c.*, m.role FROM channels c JOIN workspace_members m"
        " ON m.workspace_id = c.workspace_id AND m.user_id = ? WHERE c.id = ?",
        (actor.user_id, channel_id),
    ).fetchone()
    if r is None or (actor.bot_workspace_id is not None
                     and r["workspace_id"] != actor.bot_workspace_id):
        raise NotFound("channel not found", code="channel_not_found")
    return r
