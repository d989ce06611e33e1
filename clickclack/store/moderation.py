"""Moderation and roles (contract 6): the roster of managers, and the member patch.

Who may moderate: an owner or moderator who is neither blocked nor timed out (bots never: the
routes are human-only).  The target must rank *below* the actor, may not be the actor, and may
not be an owner; a new role must also rank below the actor, and ``owner`` is never assigned here.

The ``member.moderation_updated`` event is private: the target plus every active manager.
Making someone a guest for the first time in a workspace creates the public ``#guest`` channel in
the same transaction, so guests always have a room.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound
from clickclack.events import Event
from clickclack.store import _rows
from clickclack.store.access import (
    GUEST_CHANNEL,
    GUEST_POST_LIMIT,
    MANAGER_ROLES,
    ROLE_RANK,
    format_dt,
    guest_posts_remaining,
    member_role,
    parse_dt,
    restriction,
)
from clickclack.store.workspaces import _insert_channel
from clickclack.store.writer import Tx
from clickclack.types.bots import MemberModeration, ModerationPatch

ASSIGNABLE_ROLES = frozenset({"owner", "moderator", "member", "guest"})
MAX_NOTE_CHARS = 1000
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})\Z")
_ROLE_ORDER = {"owner": 0, "moderator": 1, "member": 2}

_MEMBER_SELECT = (
    f"SELECT {_rows.USER_COLS}, m.workspace_id, m.role, x.timeout_until, x.blocked_at,"
    " x.moderation_note, x.moderation_by, x.moderation_at"
    " FROM workspace_members m JOIN users u ON u.id = m.user_id"
    " LEFT JOIN workspace_member_moderation x"
    "  ON x.workspace_id = m.workspace_id AND x.user_id = m.user_id"
    " WHERE m.workspace_id = ?"
)


@dataclass(frozen=True, slots=True)
class ModerationResult:
    member: MemberModeration
    event: Event
    role_changed: bool
    newly_blocked: bool
    # The target and the bots it owns in this workspace: their sockets are closed after commit.
    affected_user_ids: tuple[str, ...]


def _member(conn: sqlite3.Connection, r: sqlite3.Row, now: str) -> MemberModeration:
    guest = r["role"] == "guest"
    return MemberModeration(
        workspace_id=r["workspace_id"], user=_rows.user(r), role=r["role"],
        posts_remaining=(guest_posts_remaining(conn, r["workspace_id"], r["id"], now)
                         if guest else 0),
        post_limit=GUEST_POST_LIMIT if guest else 0,
        timeout_until=r["timeout_until"], blocked_at=r["blocked_at"],
        moderation_note=r["moderation_note"] or None, moderation_by=r["moderation_by"],
        moderation_at=r["moderation_at"],
    )


def _require_active_manager(conn: sqlite3.Connection, actor: Actor, workspace_id: str,
                            now: str) -> str:
    if actor.is_bot:
        raise Forbidden("bots cannot moderate", code="human_only")
    role = member_role(conn, actor, workspace_id)
    if role not in MANAGER_ROLES:
        raise Forbidden("workspace manager permission required",
                        code="workspace_manager_required")
    why = restriction(conn, workspace_id, actor.user_id, now)
    if why is not None:
        raise Forbidden(f"moderation restriction: you are {why} in this workspace",
                        code="moderation_restriction")
    return role


def get_member(conn: sqlite3.Connection, workspace_id: str, user_id: str, now: str
               ) -> MemberModeration:
    r = conn.execute(_MEMBER_SELECT + " AND m.user_id = ?", (workspace_id, user_id)).fetchone()
    if r is None:
        raise NotFound("member not found", code="member_not_found")
    return _member(conn, r, now)


def list_members(conn: sqlite3.Connection, actor: Actor, workspace_id: str, now: str
                 ) -> list[MemberModeration]:
    """Every member with moderation state, ordered by role (owner, moderator, member, the
    rest), then display name (case-insensitively)."""
    _require_active_manager(conn, actor, workspace_id, now)
    rows = conn.execute(_MEMBER_SELECT, (workspace_id,)).fetchall()
    rows.sort(key=lambda r: (_ROLE_ORDER.get(r["role"], 3), r["display_name"].casefold(),
                             r["id"]))
    return [_member(conn, r, now) for r in rows]


def active_manager_ids(conn: sqlite3.Connection, workspace_id: str, now: str) -> set[str]:
    rows = conn.execute(
        "SELECT m.user_id FROM workspace_members m LEFT JOIN workspace_member_moderation x"
        " ON x.workspace_id = m.workspace_id AND x.user_id = m.user_id"
        " WHERE m.workspace_id = ? AND m.role IN ('owner', 'moderator')"
        " AND x.blocked_at IS NULL AND (x.timeout_until IS NULL OR x.timeout_until <= ?)",
        (workspace_id, now),
    ).fetchall()
    return {str(r[0]) for r in rows}


def _ensure_guest_channel(tx: Tx, workspace_id: str, created_by: str) -> None:
    if tx.one("SELECT 1 FROM channels WHERE workspace_id = ? AND name = ?",
              (workspace_id, GUEST_CHANNEL)) is not None:
        return
    _insert_channel(tx, workspace_id, GUEST_CHANNEL, created_by)  # emits channel.created


def _is_empty(patch: ModerationPatch) -> bool:
    return (patch.role is None and patch.timeout_until is None and patch.timeout_minutes is None
            and patch.clear_timeout is None and patch.blocked is None
            and patch.moderation_note is None)


def patch_member(tx: Tx, actor: Actor, workspace_id: str, user_id: str,
                 patch: ModerationPatch) -> ModerationResult:
    actor_role = _require_active_manager(tx.conn, actor, workspace_id, tx.now)
    target = tx.one(
        "SELECT m.role, u.kind FROM workspace_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.workspace_id = ? AND m.user_id = ?",
        (workspace_id, user_id),
    )
    if target is None:
        raise NotFound("member not found", code="member_not_found")
    old_role = str(target["role"])
    # Who may moderate whom is a permission (403, D2), not a malformed request.
    if user_id == actor.user_id:
        raise Forbidden("you cannot moderate yourself", code="cannot_moderate_self")
    if old_role == "owner":
        raise Forbidden("the workspace owner cannot be moderated", code="cannot_moderate_owner")
    if ROLE_RANK[old_role] >= ROLE_RANK[actor_role]:
        raise Forbidden(f"a {actor_role} can only moderate members ranked below them",
                        code="target_rank_not_below")
    if _is_empty(patch):
        raise BadRequest("give at least one of role, timeout_until, timeout_minutes,"
                         " clear_timeout, blocked, moderation_note", code="empty_patch")

    new_role = old_role
    if patch.role is not None:
        wanted = patch.role.strip().lower()
        if wanted not in ASSIGNABLE_ROLES:
            raise BadRequest("role must be moderator, member or guest", code="invalid_role")
        if wanted == "owner":
            raise BadRequest("owner cannot be assigned here; transfer ownership instead",
                             code="role_not_assignable")
        if target["kind"] == "bot" and wanted != old_role:
            raise Conflict("a bot's role cannot be changed", code="bot_role_fixed")
        if ROLE_RANK[wanted] >= ROLE_RANK[actor_role]:
            raise Forbidden(f"a {actor_role} can only assign roles ranked below them",
                            code="role_rank_not_below")
        new_role = wanted

    prior = tx.one(
        "SELECT timeout_until, blocked_at, moderation_note FROM workspace_member_moderation"
        " WHERE workspace_id = ? AND user_id = ?",
        (workspace_id, user_id),
    )
    timeout_until = prior["timeout_until"] if prior else None
    blocked_at = prior["blocked_at"] if prior else None
    note = prior["moderation_note"] if prior else None
    if patch.timeout_until is not None:
        try:
            if not _RFC3339.match(patch.timeout_until):  # the description's format: date-time
                raise BadRequest("not RFC 3339", code="invalid_timestamp")
            timeout_until = format_dt(parse_dt(patch.timeout_until.upper()))
        except BadRequest as exc:
            raise BadRequest("timeout_until must be an RFC 3339 timestamp with a time zone",
                             code="invalid_timeout") from exc
    elif patch.timeout_minutes:
        timeout_until = format_dt(parse_dt(tx.now) + timedelta(minutes=patch.timeout_minutes))
    if patch.clear_timeout:
        timeout_until = None
    if patch.blocked is True:
        blocked_at = tx.now
    elif patch.blocked is False:
        blocked_at = None
    if patch.moderation_note is not None:
        note = patch.moderation_note.strip() or None
        if len(patch.moderation_note) > MAX_NOTE_CHARS:  # before trimming, as described
            raise BadRequest(f"moderation_note must be at most {MAX_NOTE_CHARS} characters",
                             code="moderation_note_too_long")
    newly_blocked = blocked_at is not None and (prior is None or prior["blocked_at"] is None)

    if new_role != old_role:
        tx.execute("UPDATE workspace_members SET role = ? WHERE workspace_id = ? AND user_id = ?",
                   (new_role, workspace_id, user_id))
        if new_role == "guest":
            _ensure_guest_channel(tx, workspace_id, actor.user_id)
    tx.execute(
        "INSERT INTO workspace_member_moderation (workspace_id, user_id, timeout_until,"
        " blocked_at, moderation_note, moderation_by, moderation_at) VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT (workspace_id, user_id) DO UPDATE SET"
        " timeout_until = excluded.timeout_until, blocked_at = excluded.blocked_at,"
        " moderation_note = excluded.moderation_note, moderation_by = excluded.moderation_by,"
        " moderation_at = excluded.moderation_at",
        (workspace_id, user_id, timeout_until, blocked_at, note, actor.user_id, tx.now),
    )
    recipients = frozenset({user_id} | active_manager_ids(tx.conn, workspace_id, tx.now))
    event = tx.emit("member.moderation_updated", workspace_id,
                    {"user_id": user_id, "role": new_role}, recipients=recipients)
    bots = tx.execute(
        "SELECT u.id FROM users u JOIN workspace_members m ON m.user_id = u.id"
        " AND m.workspace_id = ? WHERE u.owner_user_id = ? AND u.kind = 'bot'",
        (workspace_id, user_id),
    ).fetchall()
    return ModerationResult(
        member=get_member(tx.conn, workspace_id, user_id, tx.now), event=event,
        role_changed=new_role != old_role, newly_blocked=newly_blocked,
        affected_user_ids=(user_id, *(str(b[0]) for b in bots)),
    )
