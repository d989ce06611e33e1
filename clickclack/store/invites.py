"""Workspace invites (Part A D5): managers mint a token, anyone holding it may preview the
workspace, and a signed-in person accepts it to join as ``member``.

* The token (``cci_`` + 256 random bits) is shown once; only its SHA-256 is stored.
* An invite is *usable* while it is not revoked, not expired and has uses left.  Preview and
  accept answer one uniform 404 for every other case, so a token's holder never learns whether
  it was unknown, expired, revoked or used up.
* Uses are checked and counted inside the single writer's transaction (``BEGIN IMMEDIATE``, also
  against the admin CLI in another process), so concurrent accepts of a 1-use invite admit
  exactly one person.  Accepting while already a member consumes nothing.
"""

from __future__ import annotations

import sqlite3
import time

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound
from clickclack.ids import new_id, now_ts, secret_token, ts_from_epoch
from clickclack.store import workspaces
from clickclack.store.accounts import token_hash
from clickclack.store.writer import Tx
from clickclack.types import Workspace
from clickclack.types.members import (
    INVITE_HOURS_MAX,
    INVITE_USES_MAX,
    Invite,
    InvitePreview,
    InviteWorkspace,
)

TOKEN_PREFIX = "cci"  # noqa: S105 (the public token prefix)
MAX_ACTIVE_INVITES = 500  # usable invites per workspace

_USABLE = " i.revoked_at IS NULL AND i.expires_at > ? AND i.uses < i.max_uses"


def _not_found() -> NotFound:
    # One body for every reason an invite cannot be used (never reveal which).
    return NotFound("invite not found or no longer valid", code="invite_not_found")


def _invite(r: sqlite3.Row) -> Invite:
    return Invite(
        id=r["id"], workspace_id=r["workspace_id"], role=r["role"], created_at=r["created_at"],
        expires_at=r["expires_at"], uses=r["uses"], max_uses=r["max_uses"],
        created_by=r["created_by"], accepted_at=r["accepted_at"], revoked_at=r["revoked_at"],
    )


def _looks_like_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX + "_") and len(token) <= 128


# --- reads -------------------------------------------------------------------------------------

def preview_invite(conn: sqlite3.Connection, token: str) -> InvitePreview:
    if not _looks_like_token(token):
        raise _not_found()
    r = conn.execute(
        "SELECT i.*, w.name AS w_name, w.slug AS w_slug, w.route_id AS w_route_id,"
        " w.icon_url AS w_icon_url FROM invites i JOIN workspaces w ON w.id = i.workspace_id"
        " WHERE i.token_hash = ? AND" + _USABLE,
        (token_hash(token), now_ts()),
    ).fetchone()
    if r is None:
        raise _not_found()
    return InvitePreview(
        id=r["id"],
        workspace=InviteWorkspace(id=r["workspace_id"], name=r["w_name"], slug=r["w_slug"],
                                  route_id=r["w_route_id"], icon_url=r["w_icon_url"]),
        role=r["role"], created_at=r["created_at"], expires_at=r["expires_at"], uses=r["uses"],
        max_uses=r["max_uses"],
    )


def list_invites(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> list[Invite]:
    """The workspace's usable invites, newest first (managers only; never with tokens)."""
    workspaces.require_manager(conn, actor, workspace_id)
    rows = conn.execute(
        "SELECT i.* FROM invites i WHERE i.workspace_id = ? AND" + _USABLE
        + " ORDER BY i.created_at DESC, i.id DESC",
        (workspace_id, now_ts()),
    ).fetchall()
    return [_invite(r) for r in rows]


# --- writes ------------------------------------------------------------------------------------

def create_invite(tx: Tx, actor: Actor | None, workspace_id: str, expires_in_hours: int = 168,
                  max_uses: int = 1) -> tuple[Invite, str]:
    """Mint an invite; returns it with its token.  ``actor`` must be an owner or moderator;
    ``None`` is the operator (CLI), who may invite to any workspace."""
    if actor is not None:
        workspaces.require_manager(tx.conn, actor, workspace_id)
    elif tx.one("SELECT 1 FROM workspaces WHERE id = ?", (workspace_id,)) is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    if not 1 <= expires_in_hours <= INVITE_HOURS_MAX:
        raise BadRequest(f"expires_in_hours must be from 1 to {INVITE_HOURS_MAX}",
                         code="invalid_expires_in_hours")
    if not 1 <= max_uses <= INVITE_USES_MAX:
        raise BadRequest(f"max_uses must be from 1 to {INVITE_USES_MAX}",
                         code="invalid_max_uses")
    active = tx.one("SELECT COUNT(*) FROM invites i WHERE i.workspace_id = ? AND" + _USABLE,
                    (workspace_id, tx.now))
    if active is not None and active[0] >= MAX_ACTIVE_INVITES:
        raise Conflict(f"a workspace may have at most {MAX_ACTIVE_INVITES} usable invites; "
                       "revoke some first", code="invite_limit")
    token = secret_token(TOKEN_PREFIX)
    invite_id = new_id("inv")
    expires = ts_from_epoch(time.time() + expires_in_hours * 3600)
    tx.execute(
        "INSERT INTO invites (id, workspace_id, token_hash, role, created_by, created_at,"
        " expires_at, max_uses) VALUES (?, ?, ?, 'member', ?, ?, ?, ?)",
        (invite_id, workspace_id, token_hash(token),
         actor.user_id if actor is not None else None, tx.now, expires, max_uses),
    )
    r = tx.one("SELECT * FROM invites WHERE id = ?", (invite_id,))
    assert r is not None
    return _invite(r), token


def revoke_invite(tx: Tx, actor: Actor, workspace_id: str, invite_id: str) -> None:
    workspaces.require_manager(tx.conn, actor, workspace_id)
    cur = tx.execute(
        "UPDATE invites SET revoked_at = ? WHERE id = ? AND workspace_id = ?"
        " AND revoked_at IS NULL",
        (tx.now, invite_id, workspace_id),
    )
    if cur.rowcount == 0:
        raise NotFound("invite not found", code="invite_not_found")


def accept_invite(tx: Tx, actor: Actor, token: str) -> tuple[Workspace, bool]:
    """Join the invite's workspace as ``member``: (workspace, joined).  An existing member gets
    the workspace back and no use is consumed."""
    if actor.is_bot:
        raise Forbidden("bot tokens cannot accept invites", code="human_only")
    if not _looks_like_token(token):
        raise _not_found()
    r = tx.one("SELECT i.id, i.workspace_id, i.role FROM invites i WHERE i.token_hash = ? AND"
               + _USABLE, (token_hash(token), tx.now))
    if r is None:
        raise _not_found()
    workspace_id = r["workspace_id"]
    if workspaces.role_in(tx.conn, workspace_id, actor.user_id) is not None:
        return workspaces.get_workspace(tx.conn, actor, workspace_id), False
    workspaces.check_membership_limit(tx, actor.user_id)
    # The writer runs one transaction at a time and this one holds the write lock, so the
    # check above and this increment cannot interleave with another accept.
    claimed = tx.execute(
        "UPDATE invites SET uses = uses + 1, accepted_at = ? WHERE id = ? AND uses < max_uses",
        (tx.now, r["id"]),
    )
    if claimed.rowcount != 1:
        raise _not_found()
    workspaces.add_member(tx, workspace_id, actor.user_id, r["role"])
    return workspaces.get_workspace(tx.conn, actor, workspace_id), True
