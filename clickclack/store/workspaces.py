"""Workspaces, memberships and channels (contract sections 5 and 7, with D2 and D4).

Access rule (D2): a workspace or channel the caller is not a member of is reported as *not
found*, never as forbidden, so its existence is not revealed.
"""

from __future__ import annotations

import base64
import binascii
import re
import sqlite3
from typing import Any

import orjson

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound
from clickclack.events import Event
from clickclack.ids import new_id, now_ts, route_id
from clickclack.store import _rows
from clickclack.store.access import (
    MANAGER_ROLES,
    member_role,
    require_can_write,
    restriction,
)
from clickclack.store.writer import Tx
from clickclack.types import Channel, Workspace
from clickclack.types.core import NAME_MAX_CHARS
from clickclack.types.members import RoleTotals, WorkspaceMember, WorkspaceMemberPage

RESERVED_WORKSPACE_SLUGS = frozenset({"clickclack", "guests"})
RESERVED_CHANNEL_NAMES = frozenset({"guest"})
MAX_NAME_CHARS = NAME_MAX_CHARS
MAX_SLUG_CHARS = 64
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
    from clickclack.store.channels import COUNTERS_SQL, with_reader_fields

    is_guest = int(member_role(conn, actor, workspace_id) == "guest")  # guests: #guest only
    # Private channels are listed only to their members (D6).
    rows = conn.execute(
        f"SELECT c.*, {COUNTERS_SQL}"
        " FROM channels c LEFT JOIN channel_reads r ON r.channel_id = c.id AND r.user_id = :me"
        " WHERE c.workspace_id = :ws AND (:guest = 0 OR c.name = 'guest')"
        " AND (c.kind <> 'private' OR EXISTS (SELECT 1 FROM channel_members cm"
        "      WHERE cm.channel_id = c.id AND cm.user_id = :me))"
        " ORDER BY c.name",
        {"me": actor.user_id, "ws": workspace_id, "guest": is_guest},
    ).fetchall()
    return [with_reader_fields(r) for r in rows]


# --- writes ------------------------------------------------------------------------------------

def _check_name(name: str, what: str) -> str:
    """Trimmed; at most MAX_NAME_CHARS characters (code points, as the description's maxLength
    counts them) before trimming, and so after it."""
    if len(name) > MAX_NAME_CHARS:
        raise BadRequest(f"{what} must be at most {MAX_NAME_CHARS} characters",
                         code=f"{what}_too_long")
    return name.strip()


def _slug(text: str) -> str:
    """slugify, cut to MAX_SLUG_CHARS (lower-casing can lengthen text: "İ" becomes "i̇")."""
    return slugify(text)[:MAX_SLUG_CHARS].strip("-")


def _insert_channel(tx: Tx, workspace_id: str, name: str, created_by: str | None,
                    display_title: str = "", kind: str = "public") -> tuple[Channel, Event]:
    cid = new_id("chn")
    tx.execute(
        "INSERT INTO channels (id, route_id, workspace_id, name, kind, display_title, created_by,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (cid, route_id("C"), workspace_id, name, kind, display_title, created_by, tx.now),
    )
    recipients = None
    if kind == "private":  # D6: the creator is the first member; events go to members only
        assert created_by is not None
        tx.execute("INSERT INTO channel_members (channel_id, user_id, created_at)"
                   " VALUES (?, ?, ?)", (cid, created_by, tx.now))
        recipients = frozenset({created_by})
    row = tx.one("SELECT * FROM channels WHERE id = ?", (cid,))
    assert row is not None
    event = tx.emit("channel.created", workspace_id, {"channel_id": cid}, channel_id=cid,
                    recipients=recipients)
    return _rows.channel(row), event


def create_workspace(tx: Tx, actor: Actor, name: str, slug: str,
                     *, allow_reserved: bool = False) -> Workspace:
    user_id = actor.user_id
    name = _check_name(name, "name") or "Untitled"
    if len(slug) > MAX_SLUG_CHARS:
        raise BadRequest(f"slug must be at most {MAX_SLUG_CHARS} characters",
                         code="slug_too_long")
    slug = _slug(slug) or _slug(name) or "workspace"
    if slug in RESERVED_WORKSPACE_SLUGS and not allow_reserved:
        # 409 like a taken slug: ClickClack keeps it for itself (not a malformed request)
        raise Conflict(f"workspace slug {slug!r} is reserved", code="slug_reserved")
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
    _insert_member(tx, wid, user_id, "owner")
    _insert_channel(tx, wid, "general", user_id)  # D4
    return get_workspace(tx.conn, actor, wid)


def create_channel(tx: Tx, actor: Actor, workspace_id: str, name: str,
                   display_title: str = "", kind: str = "public") -> tuple[Channel, Event]:
    role = require_can_write(tx.conn, actor, workspace_id, now=tx.now)  # blocked, timed out
    if role == "guest":
        raise Forbidden("guests cannot create channels", code="moderation_restriction")
    slug = slugify(_check_name(name, "name")) or "general"
    if slug in RESERVED_CHANNEL_NAMES:  # 409 like a taken name
        raise Conflict(f"channel name {slug!r} is reserved", code="channel_name_reserved")
    if tx.one("SELECT 1 FROM channels WHERE workspace_id = ? AND name = ?", (workspace_id, slug)):
        raise Conflict(f"a channel named {slug!r} already exists", code="channel_name_taken")
    count = tx.one("SELECT COUNT(*) FROM channels WHERE workspace_id = ?", (workspace_id,))
    if count is not None and count[0] >= MAX_CHANNELS_PER_WORKSPACE:
        raise Conflict(f"a workspace may have at most {MAX_CHANNELS_PER_WORKSPACE} channels",
                       code="channel_limit")
    return _insert_channel(tx, workspace_id, slug, actor.user_id, display_title.strip(), kind)


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
    return _insert_member(tx, workspace_id, user_id, role)


def _insert_member(tx: Tx, workspace_id: str, user_id: str, role: str) -> bool:
    """Insert a membership with its directory sort keys; False if it already exists."""
    u = tx.one("SELECT display_name, handle FROM users WHERE id = ?", (user_id,))
    if u is None:
        raise NotFound("user not found", code="user_not_found")
    sort_name, sort_handle = member_sort_keys(u[0], u[1], user_id)
    cur = tx.execute(
        "INSERT INTO workspace_members (workspace_id, user_id, role, created_at, sort_name,"
        " sort_handle) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (workspace_id, user_id, role, tx.now, sort_name, sort_handle),
    )
    return cur.rowcount > 0


def check_membership_limit(tx: Tx, user_id: str) -> None:
    count = tx.one("SELECT COUNT(*) FROM workspace_members WHERE user_id = ?", (user_id,))
    if count is not None and count[0] >= MAX_WORKSPACES_PER_USER:
        raise Conflict(f"a user may belong to at most {MAX_WORKSPACES_PER_USER} workspaces",
                       code="workspace_limit")


# --- the member directory (contract 5: WorkspaceMemberPage) ---------------------------------
#
# Order: role rank, lower-cased display name (or handle, or id), lower-cased handle, user id.
# The keys are columns of workspace_members (role_sort is generated from role; sort_name and
# sort_handle are kept up to date by the transactions that change names or handles), with the
# index workspace_members_page on (workspace_id, role_sort, sort_name, sort_handle, user_id):
# pages are keyset ranges of that index, never OFFSET scans.

ROLE_ORDER = ("owner", "moderator", "member", "bot", "guest")
ROLE_RANK = {r: i for i, r in enumerate(ROLE_ORDER)}
MEMBER_PAGE_DEFAULT = 100
MEMBER_PAGE_MAX = 200
MEMBER_QUERY_MAX = 100  # longest q, in characters
_CURSOR_VERSION = 1
_PAGE_ORDER = " ORDER BY m.role_sort, m.sort_name, m.sort_handle, m.user_id"


def member_sort_keys(display_name: str, handle: str, user_id: str) -> tuple[str, str]:
    """(sort_name, sort_handle) for a user, lower-cased with Python's Unicode rules."""
    name = display_name.strip() or handle or user_id
    return name.lower(), handle.lower()


def refresh_member_sort_keys(tx: Tx, user_id: str) -> None:
    """Recompute the directory sort keys of every membership of ``user_id``.  Call it in the
    same transaction, *after* changing ``users.display_name`` or ``users.handle``.  (A trigger
    keeps the keys right for ASCII names even without this call; this call makes them right for
    every script.)"""
    u = tx.one("SELECT display_name, handle FROM users WHERE id = ?", (user_id,))
    if u is None:
        return
    sort_name, sort_handle = member_sort_keys(u[0], u[1], user_id)
    tx.execute(
        "UPDATE workspace_members SET sort_name = ?, sort_handle = ? WHERE user_id = ?",
        (sort_name, sort_handle, user_id),
    )


def _encode_cursor(workspace_id: str, q: str, role: str, key: tuple[Any, ...]) -> str:
    raw = orjson.dumps([_CURSOR_VERSION, workspace_id, q, role, *key])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, workspace_id: str, q: str, role: str
                   ) -> tuple[int, str, str, str]:
    invalid = BadRequest("cursor is not a cursor from this listing", code="invalid_cursor")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise invalid from exc
    if (not isinstance(data, list) or len(data) != 8 or data[0] != _CURSOR_VERSION
            or not all(isinstance(x, str) for x in (*data[1:4], *data[5:8]))
            or not isinstance(data[4], int) or isinstance(data[4], bool)):
        raise invalid
    if data[1] != workspace_id:
        raise invalid
    if data[2] != q or data[3] != role:
        raise BadRequest("cursor was made for a different q or role; start again without it",
                         code="cursor_mismatch")
    return data[4], data[5], data[6], data[7]


def member_page(conn: sqlite3.Connection, actor: Actor, workspace_id: str, limit: int,
                cursor: str | None = None, q: str | None = None, role: str | None = None
                ) -> WorkspaceMemberPage:
    member_role(conn, actor, workspace_id)
    if not 1 <= limit <= MEMBER_PAGE_MAX:
        raise BadRequest(f"limit must be from 1 to {MEMBER_PAGE_MAX}", code="invalid_limit")
    role = role or ""
    if role and role not in ROLE_RANK:
        raise BadRequest("role must be owner, moderator, member, bot or guest",
                         code="invalid_role")
    needle = (q or "").strip().lower()
    if len(needle) > MEMBER_QUERY_MAX:
        raise BadRequest(f"q must be at most {MEMBER_QUERY_MAX} characters", code="q_too_long")

    where = ["m.workspace_id = ?"]
    params: list[Any] = [workspace_id]
    if role:
        where.append("m.role_sort = ?")
        params.append(ROLE_RANK[role])
    if needle:
        where.append("(instr(m.sort_name, ?) > 0 OR instr(m.sort_handle, ?) > 0)")
        params += [needle, needle]
    filter_sql, filter_params = " AND ".join(where), list(params)
    if cursor:
        key = _decode_cursor(cursor, workspace_id, needle, role)
        if role:  # the role is fixed, so the range starts within it (keeps the index order)
            where.append("(m.sort_name, m.sort_handle, m.user_id) > (?, ?, ?)")
            params += key[1:]
        else:
            where.append("(m.role_sort, m.sort_name, m.sort_handle, m.user_id) > (?, ?, ?, ?)")
            params += key
    rows = conn.execute(
        f"SELECT {_rows.USER_COLS}, m.workspace_id, m.role, m.created_at AS joined_at,"
        " m.role_sort, m.sort_name, m.sort_handle"
        " FROM workspace_members m JOIN users u ON u.id = m.user_id"
        f" WHERE {' AND '.join(where)}{_PAGE_ORDER} LIMIT ?",
        (*params, limit + 1),
    ).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    page = WorkspaceMemberPage(
        members=[WorkspaceMember(workspace_id=r["workspace_id"], user=_rows.user(r),
                                 role=r["role"], joined_at=r["joined_at"]) for r in rows],
        has_more=has_more,
    )
    if has_more:
        last = rows[-1]
        page.next_cursor = _encode_cursor(
            workspace_id, needle, role,
            (last["role_sort"], last["sort_name"], last["sort_handle"], last["id"]))
    if not cursor:
        if not role and not needle:
            counts = dict.fromkeys(ROLE_ORDER, 0)
            for rank, n in conn.execute(
                    "SELECT role_sort, COUNT(*) FROM workspace_members WHERE workspace_id = ?"
                    " GROUP BY role_sort", (workspace_id,)):
                counts[ROLE_ORDER[rank]] = n
            page.total_by_role = RoleTotals(**counts)
            page.total_count = sum(counts.values())
        else:
            page.total_count = conn.execute(
                f"SELECT COUNT(*) FROM workspace_members m WHERE {filter_sql}", filter_params,
            ).fetchone()[0]
    return page


# --- workspace administration (contract 5, with D2) -----------------------------------------

def resolve_workspace(conn: sqlite3.Connection, ref: str) -> str:
    """A workspace id from its id or slug (operator commands); NotFound otherwise."""
    r = conn.execute("SELECT id FROM workspaces WHERE id = ? OR slug = ? ORDER BY id = ? DESC",
                     (ref.strip(), ref.strip().lower(), ref.strip())).fetchone()
    if r is None:
        raise NotFound(f"no workspace with id or slug {ref!r}", code="workspace_not_found")
    return str(r[0])


def _admin_role(conn: sqlite3.Connection, actor: Actor, workspace_id: str,
                allowed: frozenset[str]) -> str:
    """Non-members get NotFound (D2); members without the role get Forbidden, and so do
    managers who are blocked or timed out (contract 6).  Bot tokens can never administer,
    whatever their role."""
    role = member_role(conn, actor, workspace_id)
    if actor.is_bot:
        raise Forbidden("bot tokens cannot administer workspaces", code="human_only")
    if role not in allowed:
        if allowed == frozenset({"owner"}):
            raise Forbidden("workspace owner permission required", code="owner_required")
        raise Forbidden("workspace manager permission required", code="manager_required")
    why = restriction(conn, workspace_id, actor.user_id, now_ts())
    if why is not None:
        raise Forbidden(f"moderation restriction: you are {why} in this workspace",
                        code="moderation_restriction")
    return role


def require_manager(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> str:
    return _admin_role(conn, actor, workspace_id, MANAGER_ROLES)


def require_owner(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> str:
    return _admin_role(conn, actor, workspace_id, frozenset({"owner"}))


def update_workspace(tx: Tx, actor: Actor, workspace_id: str, name: str | None = None,
                     slug: str | None = None, icon_url: str | None = None
                     ) -> tuple[Workspace, Event]:
    require_manager(tx.conn, actor, workspace_id)
    if name is None and slug is None and icon_url is None:
        raise BadRequest("give at least one of name, slug or icon_url", code="empty_patch")
    current = tx.one("SELECT slug FROM workspaces WHERE id = ?", (workspace_id,))
    assert current is not None  # member_role found the membership, which cascades with it
    sets: dict[str, str] = {}
    if name is not None:
        new_name = _check_name(name, "name")
        if not new_name:
            raise BadRequest("name must not be empty", code="name_required")
        sets["name"] = new_name
    if slug is not None:
        if len(slug) > MAX_SLUG_CHARS:
            raise BadRequest(f"slug must be at most {MAX_SLUG_CHARS} characters",
                             code="slug_too_long")
        new_slug = _slug(slug)
        if not new_slug:
            raise BadRequest("slug must contain a letter or digit", code="slug_required")
        if new_slug != current["slug"]:  # keeping a reserved slug (ClickClack's own) is fine
            if new_slug in RESERVED_WORKSPACE_SLUGS:
                raise Conflict(f"workspace slug {new_slug!r} is reserved", code="slug_reserved")
            if tx.one("SELECT 1 FROM workspaces WHERE slug = ?", (new_slug,)):
                raise Conflict("workspace slug is already taken", code="slug_taken")
        sets["slug"] = new_slug
    if icon_url is not None:
        # The contract allows "" or exactly /api/uploads/<upl_id> naming an image/* upload in
        # this workspace that the caller owns or can see.  Uploads (contract 16) do not exist
        # yet, so only "" (no icon) is accepted until they do.
        if icon_url != "":
            raise BadRequest('icon_url must be "" (uploaded icons are not available yet)',
                             code="icon_url_invalid")
        sets["icon_url"] = icon_url
    tx.execute(f"UPDATE workspaces SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
               (*sets.values(), workspace_id))
    event = tx.emit("workspace.updated", workspace_id, {"workspace_id": workspace_id})
    return get_workspace(tx.conn, actor, workspace_id), event


def delete_workspace(tx: Tx, actor: Actor, workspace_id: str) -> list[str]:
    """Delete the workspace and everything in it (channels, messages, events, memberships,
    invites, bot tokens: all by ON DELETE CASCADE).  Returns the former members' ids, so the
    caller can close their sockets."""
    require_owner(tx.conn, actor, workspace_id)
    members = [str(r[0]) for r in tx.execute(
        "SELECT user_id FROM workspace_members WHERE workspace_id = ?", (workspace_id,))]
    tx.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))
    return members


def transfer_ownership(tx: Tx, actor: Actor, workspace_id: str, new_owner_id: str
                       ) -> tuple[Workspace, Event]:
    """The target must be another human member whose role is member or moderator; the old owner
    becomes a moderator."""
    require_owner(tx.conn, actor, workspace_id)
    # The target's state decides (409), or they are not there (404): the request itself is
    # well-formed.
    if new_owner_id == actor.user_id:
        raise Conflict("you already own this workspace", code="transfer_target_self")
    r = tx.one(
        "SELECT m.role, u.kind FROM workspace_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.workspace_id = ? AND m.user_id = ?",
        (workspace_id, new_owner_id),
    )
    if r is None:
        raise NotFound("the new owner must be a member of the workspace",
                       code="transfer_target_not_member")
    if r["role"] not in ("member", "moderator") or r["kind"] != "human":
        raise Conflict("the new owner must be a member or moderator (not a bot or guest)",
                       code="transfer_target_role")
    tx.execute("UPDATE workspace_members SET role = 'owner' WHERE workspace_id = ? AND user_id = ?",
               (workspace_id, new_owner_id))
    tx.execute("UPDATE workspace_members SET role = 'moderator' WHERE workspace_id = ?"
               " AND user_id = ?", (workspace_id, actor.user_id))
    event = tx.emit("workspace.ownership_transferred", workspace_id,
                    {"workspace_id": workspace_id, "new_owner_user_id": new_owner_id})
    return get_workspace(tx.conn, actor, workspace_id), event


# --- operator commands (CLI): the same functions, with the operator's full authority ---------

def resolve_user(conn: sqlite3.Connection, user_id: str | None = None,
                 email: str | None = None) -> str:
    from clickclack.store import accounts

    if user_id:
        r = conn.execute("SELECT id FROM users WHERE id = ?", (user_id.strip(),)).fetchone()
    else:
        r = conn.execute(
            "SELECT user_id FROM identities WHERE email = ? ORDER BY created_at, id LIMIT 1",
            (accounts.normalize_email(email or ""),)).fetchone()
    if r is None:
        raise NotFound("user not found", code="user_not_found")
    return str(r[0])


def admin_add_member(tx: Tx, workspace_ref: str, role: str, user_id: str | None = None,
                     email: str | None = None) -> tuple[str, str, str, bool]:
    """(workspace_id, user_id, role, added).  An existing member keeps their role."""
    if role not in ("member", "moderator"):
        raise BadRequest("role must be member or moderator", code="invalid_role")
    workspace_id = resolve_workspace(tx.conn, workspace_ref)
    uid = resolve_user(tx.conn, user_id, email)
    added = add_member(tx, workspace_id, uid, role)
    current = role_in(tx.conn, workspace_id, uid)
    assert current is not None
    return workspace_id, uid, current, added


def admin_create_user(tx: Tx, display_name: str, email: str,
                      workspace_ref: str | None = None) -> str:
    """Create a human user (and, with a workspace, make them a member) in one transaction."""
    from clickclack.store import accounts

    workspace_id = resolve_workspace(tx.conn, workspace_ref) if workspace_ref else None
    user = accounts.create_user(tx, display_name, email)
    if workspace_id is not None:
        add_member(tx, workspace_id, user.id, "member")
    return user.id


def prune_events(tx: Tx, workspace_ref: str, before: str, keep_latest: int | None = None
                 ) -> tuple[str, int]:
    """Operator ``admin events prune``: delete a workspace's events created before ``before``
    (RFC 3339), sparing the ``keep_latest`` newest.  A client whose cursor is pruned gets the
    usual 4001 and takes a fresh tail.  Returns (workspace_id, events deleted)."""
    workspace_id = resolve_workspace(tx.conn, workspace_ref)
    sql = "DELETE FROM events WHERE workspace_id = ? AND created_at < ?"
    params: list[Any] = [workspace_id, before]
    if keep_latest is not None and keep_latest > 0:
        sql += (" AND cursor NOT IN (SELECT cursor FROM events WHERE workspace_id = ?"
                " ORDER BY cursor DESC LIMIT ?)")
        params += [workspace_id, keep_latest]
    return workspace_id, tx.execute(sql, params).rowcount
