"""Channels beyond create/list (contract 7 with D6): get one, patch and archive, private channel
membership, join/leave for public channels, and the per-reader counters (unread, mentions).

Private channels are visible only to their members (``store/scopes.py``); their events carry the
member list as recipients, so non-members never see them live or on replay.
"""

from __future__ import annotations

import sqlite3

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound
from clickclack.events import Event
from clickclack.store import _rows
from clickclack.store.access import MANAGER_ROLES
from clickclack.store.scopes import channel_members, channel_scope, require_write
from clickclack.store.writer import Tx
from clickclack.types import Channel, User
from clickclack.types.core import NAME_MAX_CHARS

MAX_PURPOSE_CHARS = 280
MAX_TITLE_CHARS = 200
MAX_PRIVATE_MEMBERS = 1000

# Per-reader counters, shared by the channel list and get-one.  Unread: roots of kind message by
# someone else after the read pointer (deleted ones still count, contract 7).  Mentions: those
# unread roots that mention the reader, @channel or @here.
COUNTERS_SQL = (
    "COALESCE(r.last_read_seq, 0) AS read_seq,"
    " (SELECT COUNT(*) FROM messages m WHERE m.channel_id = c.id"
    "   AND m.channel_seq > COALESCE(r.last_read_seq, 0) AND m.kind = 'message'"
    "   AND m.author_id <> :me) AS unread,"
    " (SELECT COUNT(*) FROM messages m WHERE m.channel_id = c.id"
    "   AND m.channel_seq > COALESCE(r.last_read_seq, 0) AND m.author_id <> :me"
    "   AND (m.mentions_channel = 1 OR m.mentions_here = 1 OR EXISTS (SELECT 1 FROM"
    "        message_mentions mm WHERE mm.message_id = m.id AND mm.user_id = :me))) AS mentions"
)


def channel_view(conn: sqlite3.Connection, actor: Actor, channel_id: str) -> Channel:
    channel_scope(conn, actor, channel_id)
    r = conn.execute(
        f"SELECT c.*, {COUNTERS_SQL} FROM channels c LEFT JOIN channel_reads r"
        " ON r.channel_id = c.id AND r.user_id = :me WHERE c.id = :id",
        {"me": actor.user_id, "id": channel_id}).fetchone()
    return with_reader_fields(r)


def with_reader_fields(r: sqlite3.Row) -> Channel:
    return _rows.channel(r, last_read_seq=r["read_seq"], unread=r["unread"],
                         mentions=r["mentions"])


def _managed(tx: Tx, actor: Actor, channel_id: str) -> tuple[sqlite3.Row, str]:
    scope = channel_scope(tx.conn, actor, channel_id)
    require_write(tx.conn, actor, scope, tx.now)
    if not (scope.role in MANAGER_ROLES or scope.role == "bot"):
        raise Forbidden("only workspace owners and moderators can change channels",
                        code="manager_required")
    row = tx.one("SELECT * FROM channels WHERE id = ?", (channel_id,))
    assert row is not None
    return row, scope.role


def patch_channel(tx: Tx, actor: Actor, channel_id: str, *, name: str | None = None,
                  display_title: str | None = None, purpose: str | None = None,
                  archived: bool | None = None) -> tuple[Channel, Event | None]:
    from clickclack.store.workspaces import RESERVED_CHANNEL_NAMES, slugify

    row, _ = _managed(tx, actor, channel_id)
    changes: dict[str, object] = {}
    if name is not None and len(name) > NAME_MAX_CHARS:  # as the description declares
        raise BadRequest(f"name must be at most {NAME_MAX_CHARS} characters",
                         code="name_too_long")
    if name is not None and name.strip():
        slug = slugify(name)
        if not slug:
            raise BadRequest("channel name must contain letters or digits", code="name_invalid")
        if (slug in RESERVED_CHANNEL_NAMES) != (row["name"] in RESERVED_CHANNEL_NAMES):
            raise Conflict("the guest channel name is reserved", code="channel_name_reserved")
        if slug != row["name"] and tx.one("SELECT 1 FROM channels WHERE workspace_id = ?"
                                          " AND name = ?", (row["workspace_id"], slug)):
            raise Conflict(f"a channel named {slug!r} already exists", code="channel_name_taken")
        changes["name"] = slug
    if display_title is not None:
        changes["display_title"] = display_title.strip()[:MAX_TITLE_CHARS]
    if purpose is not None:
        purpose = purpose.strip()
        if "\n" in purpose or len(purpose) > MAX_PURPOSE_CHARS:
            raise BadRequest(f"purpose is one line of at most {MAX_PURPOSE_CHARS} characters",
                             code="purpose_invalid")
        changes["purpose"] = purpose
    if archived is not None:
        changes["archived_at"] = tx.now if archived else None
    if not changes:  # nothing to change: the channel as it is, no event
        return channel_view(tx.conn, actor, channel_id), None
    sets = ", ".join(f"{k} = ?" for k in changes)
    tx.execute(f"UPDATE channels SET {sets} WHERE id = ?", (*changes.values(), channel_id))
    scope = channel_scope(tx.conn, actor, channel_id)
    event = tx.emit("channel.updated", scope.workspace_id,
                    {"channel_id": channel_id, "archived": scope.archived},
                    channel_id=channel_id, recipients=scope.recipients)
    return channel_view(tx.conn, actor, channel_id), event


def list_members(conn: sqlite3.Connection, actor: Actor, channel_id: str) -> list[User]:
    channel_scope(conn, actor, channel_id)
    rows = conn.execute(
        f"SELECT {_rows.USER_COLS} FROM channel_members cm JOIN users u ON u.id = cm.user_id"
        " WHERE cm.channel_id = ? ORDER BY lower(u.display_name), u.id", (channel_id,)
    ).fetchall()
    return [_rows.user(r) for r in rows]


def add_member(tx: Tx, actor: Actor, channel_id: str, user_id: str) -> tuple[bool, Event | None]:
    """Private channels: a member (or a manager) adds someone from the workspace.  Public
    channels: the same as the user joining.  The new member learns of the channel through a
    ``channel.updated`` event addressed to the new member list."""
    scope = channel_scope(tx.conn, actor, channel_id)
    require_write(tx.conn, actor, scope, tx.now)
    if scope.archived:
        raise Conflict("the channel is archived", code="channel_archived")  # its state: 409
    target_role = tx.one("SELECT role FROM workspace_members WHERE workspace_id = ?"
                         " AND user_id = ?", (scope.workspace_id, user_id))
    if target_role is None:
        raise NotFound("user not found in this workspace", code="user_not_found")
    if target_role[0] == "guest":
        raise Conflict("guests can only be in #guest", code="guest_not_allowed")  # their role
    count = tx.one("SELECT COUNT(*) FROM channel_members WHERE channel_id = ?", (channel_id,))
    if count is not None and count[0] >= MAX_PRIVATE_MEMBERS:
        raise Conflict(f"a channel may have at most {MAX_PRIVATE_MEMBERS} members",
                       code="channel_member_limit")
    cur = tx.execute("INSERT INTO channel_members (channel_id, user_id, created_at)"
                     " VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (channel_id, user_id, tx.now))
    if not cur.rowcount:
        return False, None
    recipients = channel_members(tx.conn, channel_id) if scope.channel_kind == "private" \
        else None
    event = tx.emit("channel.updated", scope.workspace_id,
                    {"channel_id": channel_id, "archived": scope.archived},
                    channel_id=channel_id, recipients=recipients)
    return True, event


def remove_member(tx: Tx, actor: Actor, channel_id: str, user_id: str) -> bool:
    """Leave (yourself) or remove someone (managers)."""
    scope = channel_scope(tx.conn, actor, channel_id)
    if user_id != actor.user_id and scope.role not in MANAGER_ROLES:
        raise Forbidden("only managers can remove other members", code="manager_required")
    cur = tx.execute("DELETE FROM channel_members WHERE channel_id = ? AND user_id = ?",
                     (channel_id, user_id))
    return bool(cur.rowcount)


def join(tx: Tx, actor: Actor, channel_id: str) -> bool:
    scope = channel_scope(tx.conn, actor, channel_id)
    if scope.channel_kind == "private":
        raise BadRequest("private channels are joined by invitation", code="channel_private")
    cur = tx.execute("INSERT INTO channel_members (channel_id, user_id, created_at)"
                     " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                     (channel_id, actor.user_id, tx.now))
    return bool(cur.rowcount)


def leave(tx: Tx, actor: Actor, channel_id: str) -> bool:
    return remove_member(tx, actor, channel_id, actor.user_id)
