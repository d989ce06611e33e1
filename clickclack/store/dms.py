"""Direct conversations (contract 13): 1:1 (de-duplicated by member set) and group DMs with a
fixed member set, per-user close/reopen, unread counts.  Every DM event is private to the
members who are still in the workspace; non-members get 404."""

from __future__ import annotations

import sqlite3

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden
from clickclack.ids import new_id, route_id
from clickclack.store import _rows
from clickclack.store.access import member_role, require_can_write
from clickclack.store.scopes import Scope, dm_members, dm_scope
from clickclack.store.writer import Tx
from clickclack.types.conversations import DirectConversation

MAX_DM_MEMBERS = 32


def _conversation(conn: sqlite3.Connection, viewer: Actor, dm_id: str, *,
                  counters: bool = True) -> DirectConversation:
    r = conn.execute("SELECT * FROM direct_conversations WHERE id = ?", (dm_id,)).fetchone()
    members = conn.execute(
        f"SELECT {_rows.USER_COLS} FROM direct_conversation_members d JOIN users u"
        " ON u.id = d.user_id WHERE d.conversation_id = ? ORDER BY lower(u.display_name), u.id",
        (dm_id,)).fetchall()
    users = [_rows.user(m) for m in members]
    read = conn.execute("SELECT last_read_seq FROM direct_reads WHERE conversation_id = ?"
                        " AND user_id = ?", (dm_id, viewer.user_id)).fetchone()
    last_read = read[0] if read else 0
    unread = mentions = 0
    can_send = False
    if counters:
        unread, mentions = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(m.mentions_channel = 1 OR m.mentions_here = 1 OR"
            " EXISTS (SELECT 1 FROM message_mentions mm WHERE mm.message_id = m.id"
            "  AND mm.user_id = :me)), 0) FROM messages m WHERE m.direct_conversation_id = :dm"
            " AND m.channel_seq > :read AND m.author_id <> :me AND m.kind = 'message'",
            {"dm": dm_id, "read": last_read, "me": viewer.user_id}).fetchone()
        can_send = conn.execute(
            "SELECT 1 FROM direct_conversation_members d JOIN workspace_members m"
            " ON m.workspace_id = ? AND m.user_id = d.user_id"
            " WHERE d.conversation_id = ? AND d.user_id <> ? AND NOT EXISTS"
            " (SELECT 1 FROM bot_tombstones b WHERE b.bot_user_id = d.user_id) LIMIT 1",
            (r["workspace_id"], dm_id, viewer.user_id)).fetchone() is not None
    return DirectConversation(
        id=dm_id, route_id=r["route_id"], workspace_id=r["workspace_id"],
        created_at=r["created_at"], members=users, can_send=can_send,
        last_seq=r["last_seq"] if counters else 0, last_read_seq=last_read if counters else 0,
        unread_count=unread, mention_count=mentions)


def list_dms(conn: sqlite3.Connection, actor: Actor, workspace_id: str
             ) -> list[DirectConversation]:
    role = member_role(conn, actor, workspace_id)
    if role == "guest":
        return []
    rows = conn.execute(
        "SELECT c.id FROM direct_conversations c JOIN direct_conversation_members d"
        " ON d.conversation_id = c.id AND d.user_id = ? WHERE c.workspace_id = ?"
        " AND NOT EXISTS (SELECT 1 FROM direct_conversation_hidden h"
        "  WHERE h.conversation_id = c.id AND h.user_id = ?)"
        " ORDER BY c.created_at, c.id", (actor.user_id, workspace_id, actor.user_id)
    ).fetchall()
    return [_conversation(conn, actor, r[0]) for r in rows]


def get_dm(conn: sqlite3.Connection, actor: Actor, dm_id: str) -> DirectConversation:
    dm_scope(conn, actor, dm_id)
    return _conversation(conn, actor, dm_id)


def create_dm(tx: Tx, actor: Actor, workspace_id: str, member_ids: list[str]
              ) -> DirectConversation:
    role = member_role(tx.conn, actor, workspace_id)
    if role == "guest":
        raise Forbidden("guests cannot open direct messages", code="moderation_restriction")
    require_can_write(tx.conn, actor, workspace_id, now=tx.now, budget=False)
    if len(member_ids) > MAX_DM_MEMBERS - 1:  # the bound the description declares
        raise BadRequest(f"member_ids may name at most {MAX_DM_MEMBERS - 1} others",
                         code="dm_too_large")
    wanted = sorted({m.strip() for m in member_ids if m.strip()} | {actor.user_id})
    if len(wanted) < 2:
        raise BadRequest("a conversation needs at least one other member", code="dm_too_small")
    if len(wanted) > MAX_DM_MEMBERS:
        raise BadRequest(f"a conversation may have at most {MAX_DM_MEMBERS} members",
                         code="dm_too_large")
    marks = ",".join("?" * len(wanted))
    eligible = {r[0] for r in tx.execute(
        f"SELECT user_id FROM workspace_members WHERE workspace_id = ? AND role <> 'guest'"
        f" AND user_id IN ({marks})", (workspace_id, *wanted))}
    if eligible != set(wanted):
        raise BadRequest("every member must be a member of the workspace (not a guest)",
                         code="dm_member_ineligible")
    key = "|".join(wanted) if len(wanted) == 2 else None
    if key is not None:
        existing = tx.one("SELECT id FROM direct_conversations WHERE workspace_id = ?"
                          " AND member_set_key = ?", (workspace_id, key))
        if existing is not None:
            tx.execute("DELETE FROM direct_conversation_hidden WHERE conversation_id = ?"
                       " AND user_id = ?", (existing[0], actor.user_id))
            return _conversation(tx.conn, actor, existing[0], counters=False)
    dm_id = new_id("dm")
    tx.execute("INSERT INTO direct_conversations (id, route_id, workspace_id, member_set_key,"
               " created_at) VALUES (?, ?, ?, ?, ?)",
               (dm_id, route_id("D"), workspace_id, key, tx.now))
    tx.conn.executemany(
        "INSERT INTO direct_conversation_members (conversation_id, user_id, created_at)"
        " VALUES (?, ?, ?)", [(dm_id, uid, tx.now) for uid in wanted])
    return _conversation(tx.conn, actor, dm_id, counters=False)  # creating a DM emits no event


def set_hidden(tx: Tx, actor: Actor, dm_id: str, hidden: bool) -> DirectConversation:
    dm_scope(tx.conn, actor, dm_id)
    if hidden:
        tx.execute("INSERT INTO direct_conversation_hidden (conversation_id, user_id, hidden_at)"
                   " VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (dm_id, actor.user_id, tx.now))
    else:
        tx.execute("DELETE FROM direct_conversation_hidden WHERE conversation_id = ?"
                   " AND user_id = ?", (dm_id, actor.user_id))
    return _conversation(tx.conn, actor, dm_id)


def sendable_scope(conn: sqlite3.Connection, actor: Actor, dm_id: str) -> Scope:
    """The DM's scope, if the caller may send: some other member is still here (409 if not)."""
    scope = dm_scope(conn, actor, dm_id)
    others = [m for m in dm_members(conn, dm_id) if m != actor.user_id]
    if not scope.recipients or not any(o in scope.recipients for o in others):
        raise Conflict("no other member of this conversation is still in the workspace",
                       code="dm_no_active_recipient")
    return scope


