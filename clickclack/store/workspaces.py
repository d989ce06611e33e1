"""Workspaces, memberships and channels (contract sections 5 and 7, with D2 and D4).

Access rule (D2): a workspace or channel the caller is not a member of is reported as *not
found*, never as forbidden, so its existence is not revealed.
"""

from __future__ import annotations

import re
import sqlite3

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound
from clickclack.events import Event
from clickclack.ids import new_id, route_id
from clickclack.store import _rows
from clickclack.store.access import member_role
from clickclack.store.writer import Tx
from clickclack.types import Channel, Workspace

RESERVED_WORKSPACE_SLUGS = frozenset({"clickclack", "guests"})
RESERVED_CHANNEL_NAMES = frozenset({"guest"})
MAX_NAME_BYTES = 80
MAX_CHANNELS_PER_WORKSPACE = 500
MAX_WORKSPACES_PER_USER = 100
_SLUG_RUN = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _SLUG_RUN.sub("-", text.strip().lower()).strip("-")


# --- reads -------------------------------------------------------------------------------------

def role_in(conn: sqlite3.Connection, workspace_id: str, user_id: str) -> str | None:
    r = conn.execute(
        "SELECT role FROM workspace_members WHERE workspace_id = ? AND user_id = ?",
        (workspace_id, user_id),
    ).fetchone()
    return r[0] if r else None


def list_workspaces(conn: sqlite3.Connection, actor: Actor) -> list[Workspace]:
    rows = conn.execute(
        "SELECT w.*, m.role FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id"
        " WHERE m.user_id = ? ORDER BY w.created_at, w.id",
        (actor.user_id,),
    ).fetchall()
    return [_rows.workspace(r, r["role"]) for r in rows
            if actor.bot_workspace_id is None or r["id"] == actor.bot_workspace_id]


def get_workspace(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> Workspace:
    role = member_role(conn, actor, workspace_id)
    r = conn.execute("SELECT * FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
    return _rows.workspace(r, role)


def list_channels(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> list[Channel]:
    member_role(conn, actor, workspace_id)
    user_id = actor.user_id
    rows = conn.execute(
        "SELECT c.*, COALESCE(r.last_read_seq, 0) AS read_seq,"
        " (SELECT COUNT(*) FROM messages m WHERE m.channel_id = c.id"
        "   AND m.channel_seq > COALESCE(r.last_read_seq, 0) AND m.kind = 'message'"
        "   AND m.author_id <> ?) AS unread"
        " FROM channels c LEFT JOIN channel_reads r ON r.channel_id = c.id AND r.user_id = ?"
        " WHERE c.workspace_id = ? ORDER BY c.name",
        (user_id, user_id, workspace_id),
    ).fetchall()
    return [_rows.channel(r, last_read_seq=r["read_seq"], unread=r["unread"]) for r in rows]


# --- writes ------------------------------------------------------------------------------------

def _check_name(name: str, what: str) -> str:
    name = name.strip()
    if len(name.encode()) > MAX_NAME_BYTES:
        raise BadRequest(f"{what} must be at most {MAX_NAME_BYTES} bytes", code=f"{what}_too_long")
    return name


def _insert_channel(tx: Tx, workspace_id: str, name: str, created_by: str | None,
                    display_title: str = "") -> tuple[Channel, Event]:
    cid = new_id("chn")
    tx.execute(
        "INSERT INTO channels (id, route_id, workspace_id, name, kind, display_title, created_by,"
        " created_at) VALUES (?, ?, ?, ?, 'public', ?, ?, ?)",
        (cid, route_id("C"), workspace_id, name, display_title, created_by, tx.now),
    )
    row = tx.one("SELECT * FROM channels WHERE id = ?", (cid,))
    assert row is not None
    event = tx.emit("channel.created", workspace_id, {"channel_id": cid}, channel_id=cid)
    return _rows.channel(row), event


def create_workspace(tx: Tx, actor: Actor, name: str, slug: str,
                     *, allow_reserved: bool = False) -> Workspace:
    user_id = actor.user_id
    name = _check_name(name, "name") or "Untitled"
    slug = slugify(slug) or slugify(name) or "workspace"
    if len(slug) > 64:
        raise BadRequest("slug must be at most 64 characters", code="slug_too_long")
    if slug in RESERVED_WORKSPACE_SLUGS and not allow_reserved:
        raise BadRequest(f"workspace slug {slug!r} is reserved", code="slug_reserved")
    if tx.one("SELECT 1 FROM workspaces WHERE slug = ?", (slug,)):
        raise Conflict("workspace slug is already taken", code="slug_taken")
    count = tx.one("SELECT COUNT(*) FROM workspace_members WHERE user_id = ?", (user_id,))
    if count is not None and count[0] >= MAX_WORKSPACES_PER_USER:
        raise Conflict(f"a user may belong to at most {MAX_WORKSPACES_PER_USER} workspaces",
                       code="workspace_limit")
    wid = new_id("wsp")
    tx.execute(
        "INSERT INTO workspaces (id, route_id, name, slug, icon_url, created_at)"
        " VALUES (?, ?, ?, ?, '', ?)",
        (wid, route_id("T"), name, slug, tx.now),
    )
    tx.execute(
        "INSERT INTO workspace_members (workspace_id, user_id, role, created_at)"
        " VALUES (?, ?, 'owner', ?)",
        (wid, user_id, tx.now),
    )
    _insert_channel(tx, wid, "general", user_id)  # D4
    return get_workspace(tx.conn, actor, wid)


def create_channel(tx: Tx, actor: Actor, workspace_id: str, name: str,
                   display_title: str = "") -> tuple[Channel, Event]:
    role = member_role(tx.conn, actor, workspace_id)
    if role == "guest":
        raise Forbidden("guests cannot create channels", code="moderation_restriction")
    slug = slugify(_check_name(name, "name")) or "general"
    if slug in RESERVED_CHANNEL_NAMES:
        raise BadRequest(f"channel name {slug!r} is reserved", code="channel_name_reserved")
    if tx.one("SELECT 1 FROM channels WHERE workspace_id = ? AND name = ?", (workspace_id, slug)):
        raise Conflict(f"a channel named {slug!r} already exists", code="channel_name_taken")
    count = tx.one("SELECT COUNT(*) FROM channels WHERE workspace_id = ?", (workspace_id,))
    if count is not None and count[0] >= MAX_CHANNELS_PER_WORKSPACE:
        raise Conflict(f"a workspace may have at most {MAX_CHANNELS_PER_WORKSPACE} channels",
                       code="channel_limit")
    return _insert_channel(tx, workspace_id, slug, actor.user_id, display_title.strip())


def ensure_bootstrap(tx: Tx, name: str = "Local Captain",
                     email: str = "local@clickclack.chat") -> str:
    """Dev bootstrap (2.5): if no user exists, create the user, workspace ClickClack (slug
    clickclack) with them as owner, and #general.  Returns the first user's id either way."""
    r = tx.one("SELECT id FROM users ORDER BY created_at, id LIMIT 1")
    if r is not None:
        return str(r[0])
    from clickclack.store import accounts

    user = accounts.create_user(tx, name, email)
    create_workspace(tx, Actor(user.id), "ClickClack", "clickclack", allow_reserved=True)
    return user.id


def add_member(tx: Tx, workspace_id: str, user_id: str, role: str = "member") -> bool:
    """Add ``user_id`` to the workspace; False if already a member."""
    if role not in ("moderator", "member", "guest", "bot"):
        raise BadRequest("role must be moderator, member, guest or bot", code="invalid_role")
    if tx.one("SELECT 1 FROM workspaces WHERE id = ?", (workspace_id,)) is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    cur = tx.execute(
        "INSERT INTO workspace_members (workspace_id, user_id, role, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (workspace_id, user_id, role, tx.now),
    )
    return cur.rowcount > 0
