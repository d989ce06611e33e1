"""Topics (contract 7.1): labels for messages, usable across the workspace or in one channel."""

from __future__ import annotations

import sqlite3

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, NotFound
from clickclack.ids import new_id
from clickclack.store.access import member_role
from clickclack.store.scopes import Scope, channel_scope, require_write
from clickclack.store.writer import Tx
from clickclack.types.conversations import Topic

MAX_TOPIC_CHARS = 80
MAX_TOPICS_PER_WORKSPACE = 1000


def _topic(r: sqlite3.Row) -> Topic:
    return Topic(id=r["id"], workspace_id=r["workspace_id"], channel_id=r["channel_id"],
                 name=r["name"], created_by=r["created_by"], created_at=r["created_at"],
                 archived_at=r["archived_at"])


def list_topics(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> list[Topic]:
    """Workspace-wide topics and those of channels the caller can see (guests: #guest)."""
    role = member_role(conn, actor, workspace_id)
    rows = conn.execute(
        "SELECT t.* FROM topics t LEFT JOIN channels c ON c.id = t.channel_id"
        " WHERE t.workspace_id = :ws AND (t.channel_id IS NULL OR ("
        "  (:guest = 0 OR c.name = 'guest') AND (c.kind <> 'private' OR EXISTS ("
        "   SELECT 1 FROM channel_members cm WHERE cm.channel_id = c.id AND cm.user_id = :me))))"
        " ORDER BY t.name, t.id",
        {"ws": workspace_id, "guest": int(role == "guest"), "me": actor.user_id}).fetchall()
    return [_topic(r) for r in rows]


def create_topic(tx: Tx, actor: Actor, workspace_id: str, name: str,
                 channel_id: str | None) -> Topic:
    name = name.strip()
    if not name or len(name) > MAX_TOPIC_CHARS:
        raise BadRequest(f"topic name must be 1 to {MAX_TOPIC_CHARS} characters",
                         code="topic_name_invalid")
    if channel_id is not None:
        scope = channel_scope(tx.conn, actor, channel_id)
        if scope.workspace_id != workspace_id:
            raise BadRequest("channel is not in this workspace", code="topic_channel_invalid")
        require_write(tx.conn, actor, scope, tx.now)
    else:
        from clickclack.store.access import require_can_write

        require_can_write(tx.conn, actor, workspace_id, now=tx.now, budget=False)
    count = tx.one("SELECT COUNT(*) FROM topics WHERE workspace_id = ?", (workspace_id,))
    if count is not None and count[0] >= MAX_TOPICS_PER_WORKSPACE:
        raise Conflict(f"a workspace may have at most {MAX_TOPICS_PER_WORKSPACE} topics",
                       code="topic_limit")
    if tx.one("SELECT 1 FROM topics WHERE workspace_id = ? AND COALESCE(channel_id, '') = ?"
              " AND name = ?", (workspace_id, channel_id or "", name)):
        raise Conflict("a topic with that name already exists here", code="topic_name_taken")
    tid = new_id("top")
    tx.execute("INSERT INTO topics (id, workspace_id, channel_id, name, created_by, created_at)"
               " VALUES (?, ?, ?, ?, ?, ?)",
               (tid, workspace_id, channel_id, name, actor.user_id, tx.now))
    row = tx.one("SELECT * FROM topics WHERE id = ?", (tid,))
    assert row is not None
    return _topic(row)


def check_topic(conn: sqlite3.Connection, scope: Scope, topic_id: str) -> None:
    """A message's topic must exist in its workspace and, if channel-scoped, in its channel."""
    r = conn.execute("SELECT workspace_id, channel_id FROM topics WHERE id = ?",
                     (topic_id,)).fetchone()
    if (r is None or r[0] != scope.workspace_id or scope.channel_id is None
            or (r[1] is not None and r[1] != scope.channel_id)):
        # A missing resource (D2: 404), as an unknown channel or message is; the code stays.
        raise NotFound("unknown topic for this channel", code="topic_invalid")
