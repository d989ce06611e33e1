"""Access control, in one place.  Every store function that reads or changes something in a
workspace calls one of these first -- inside its own query or write transaction -- so a route
cannot forget the check and a check cannot race the change.

Rule (D2): what the caller may not see is *not found*.  Bot tokens are bound to one workspace:
a bot token never reaches another workspace, even one the bot has joined since.

Roles (contract 5 and 6): a user-owned bot can never do more than its owner, so a bot whose
owner is a ``guest`` acts as a guest, and its owner's block or timeout stops it too.

Writes (contract 6): :func:`require_can_write` is called at the start of every write in a
workspace.  Blocked or timed-out members may read but not write; guests may act only in
``#guest``, with a budget of :data:`GUEST_POST_LIMIT` posts per rolling 24 hours.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Forbidden, NotFound, RateLimited
from clickclack.ids import now_ts, ts_from_epoch

MANAGER_ROLES = frozenset({"owner", "moderator"})
ROLE_RANK = {"owner": 5, "bot": 4, "moderator": 3, "member": 2, "guest": 1}
GUEST_CHANNEL = "guest"
GUEST_POST_LIMIT = 3
GUEST_WINDOW_S = 24 * 3600

# The caller's effective role: a user-owned bot whose owner is a guest acts as a guest.
# Parameters: user_id, workspace_id.
_ROLE_SQL = (
    "SELECT CASE WHEN u.kind = 'bot' AND o.role = 'guest' THEN 'guest' ELSE m.role END"
    " FROM workspace_members m JOIN users u ON u.id = m.user_id"
    " LEFT JOIN workspace_members o ON o.workspace_id = m.workspace_id"
    "  AND o.user_id = u.owner_user_id"
    " WHERE m.user_id = ? AND m.workspace_id = ?"
)


def parse_dt(text: str) -> datetime:
    """An RFC 3339 timestamp (any offset) as an aware UTC datetime; BadRequest otherwise."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise BadRequest(f"{text!r} is not an RFC 3339 timestamp", code="invalid_timestamp"
                         ) from exc
    if parsed.tzinfo is None:
        raise BadRequest("timestamps need a time zone (e.g. a trailing Z)",
                         code="invalid_timestamp")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # before 0001-01-01 or after 9999-12-31 in UTC: clamp
        return (datetime.min if parsed.year == 1 else datetime.max).replace(tzinfo=UTC)


def format_dt(value: datetime) -> str:
    """The stored form (fixed width, so text order is time order): ...T12:00:00.123456000Z."""
    v = value.astimezone(UTC)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
            f".{v.microsecond:06d}000Z")


def parse_ts(text: str) -> float:
    """An RFC 3339 timestamp as epoch seconds; BadRequest when it is not one."""
    return parse_dt(text).timestamp()


def member_role(conn: sqlite3.Connection, actor: Actor, workspace_id: str) -> str:
    """The caller's (effective) role in the workspace, or NotFound."""
    if actor.bot_workspace_id is not None and actor.bot_workspace_id != workspace_id:
        raise NotFound("workspace not found", code="workspace_not_found")
    r = conn.execute(_ROLE_SQL, (actor.user_id, workspace_id)).fetchone()
    if r is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    return str(r[0])


def channel_row(conn: sqlite3.Connection, actor: Actor, channel_id: str) -> sqlite3.Row:
    """The channel (with the caller's effective ``role``) if the caller may see it, else
    NotFound.  Guests see only ``#guest``."""
    r: sqlite3.Row | None = conn.execute(
        "SELECT c.*, CASE WHEN u.kind = 'bot' AND o.role = 'guest' THEN 'guest' ELSE m.role END"
        " AS role FROM channels c"
        " JOIN workspace_members m ON m.workspace_id = c.workspace_id AND m.user_id = ?"
        " JOIN users u ON u.id = m.user_id"
        " LEFT JOIN workspace_members o ON o.workspace_id = c.workspace_id"
        "  AND o.user_id = u.owner_user_id"
        " WHERE c.id = ?",
        (actor.user_id, channel_id),
    ).fetchone()
    if r is None or (actor.bot_workspace_id is not None
                     and r["workspace_id"] != actor.bot_workspace_id):
        raise NotFound("channel not found", code="channel_not_found")
    if r["role"] == "guest" and r["name"] != GUEST_CHANNEL:
        raise NotFound("channel not found", code="channel_not_found")
    return r


def restriction(conn: sqlite3.Connection, workspace_id: str, user_id: str, now: str
                ) -> str | None:
    """Why ``user_id`` may not write in the workspace right now ("blocked" or "timed out"),
    or None."""
    r = conn.execute(
        "SELECT blocked_at, timeout_until FROM workspace_member_moderation"
        " WHERE workspace_id = ? AND user_id = ?",
        (workspace_id, user_id),
    ).fetchone()
    if r is None:
        return None
    if r["blocked_at"] is not None:
        return "blocked"
    if r["timeout_until"] is not None and r["timeout_until"] > now:
        return "timed out"
    return None


def is_active_manager(conn: sqlite3.Connection, actor: Actor, workspace_id: str,
                      now: str | None = None) -> bool:
    """An owner or moderator who is neither blocked nor timed out."""
    role = member_role(conn, actor, workspace_id)
    return role in MANAGER_ROLES and restriction(
        conn, workspace_id, actor.user_id, now or now_ts()) is None


def guest_posts(conn: sqlite3.Connection, workspace_id: str, user_id: str, now: str
                ) -> list[str]:
    """``created_at`` of the user's posts (roots and replies, deleted ones too) in the
    workspace's ``#guest`` during the rolling window ending at ``now``, newest first."""
    since = ts_from_epoch(parse_ts(now) - GUEST_WINDOW_S)
    rows = conn.execute(
        "SELECT m.created_at FROM messages m JOIN channels c ON c.id = m.channel_id"
        " WHERE m.author_id = ? AND m.workspace_id = ? AND m.created_at > ? AND c.name = ?"
        " ORDER BY m.created_at DESC LIMIT ?",
        (user_id, workspace_id, since, GUEST_CHANNEL, GUEST_POST_LIMIT),
    ).fetchall()
    return [str(r[0]) for r in rows]


def guest_posts_remaining(conn: sqlite3.Connection, workspace_id: str, user_id: str,
                          now: str | None = None) -> int:
    return max(0, GUEST_POST_LIMIT - len(guest_posts(conn, workspace_id, user_id,
                                                     now or now_ts())))


def _owner_of(conn: sqlite3.Connection, actor: Actor) -> str | None:
    if not actor.is_bot:
        return None
    r = conn.execute("SELECT owner_user_id FROM users WHERE id = ?", (actor.user_id,)).fetchone()
    return r[0] if r is not None else None


def require_can_write(conn: sqlite3.Connection, actor: Actor, workspace_id: str, *,
                      channel_row: sqlite3.Row | None = None, now: str | None = None,
                      budget: bool = True) -> str:
    """Posting rights (contract 6): the caller's role, or

    * NotFound when the caller is not a member (or the token is bound elsewhere);
    * Forbidden ``moderation_restriction`` when the caller (or, for a user-owned bot, its owner)
      is blocked or timed out, or is a guest acting anywhere but in ``#guest`` (creating
      channels, bots, ... included);
    * RateLimited (429) when a guest has used up the post budget (``budget=False`` skips that,
      for writes that are not posts).

    ``channel_row`` is the target channel from :func:`channel_row`, when there is one.
    """
    now = now or now_ts()
    if channel_row is not None:
        if channel_row["workspace_id"] != workspace_id:
            raise NotFound("channel not found", code="channel_not_found")
        role = str(channel_row["role"])
    else:
        role = member_role(conn, actor, workspace_id)
    for who in (actor.user_id, _owner_of(conn, actor)):
        if who is None:
            continue
        why = restriction(conn, workspace_id, who, now)
        if why is not None:
            whose = "you are" if who == actor.user_id else "this bot's owner is"
            raise Forbidden(f"moderation restriction: {whose} {why} in this workspace",
                            code="moderation_restriction")
    if role == "guest":
        if channel_row is None or channel_row["name"] != GUEST_CHANNEL:
            raise Forbidden("moderation restriction: guests may only post in #guest",
                            code="moderation_restriction")
        if budget:
            recent = guest_posts(conn, workspace_id, actor.user_id, now)
            if len(recent) >= GUEST_POST_LIMIT:
                frees_at = parse_ts(recent[GUEST_POST_LIMIT - 1]) + GUEST_WINDOW_S
                wait = max(1, math.ceil(frees_at - parse_ts(now)))
                raise RateLimited("waiting room post limit reached", retry_after=wait,
                                  code="guest_post_limit")
    return role


@dataclass(frozen=True, slots=True)
class WriteTarget:
    """Result of :func:`write_target`: the caller's role and the target channel's name."""

    role: str
    channel_name: str | None


def write_target(conn: sqlite3.Connection, actor: Actor, workspace_id: str,
                 channel_id: str | None = None, budget: bool = True) -> WriteTarget:
    """:func:`require_can_write` for an optional channel given by id (ephemeral events)."""
    row = channel_row(conn, actor, channel_id) if channel_id else None
    role = require_can_write(conn, actor, workspace_id, channel_row=row, budget=budget)
    return WriteTarget(role, str(row["name"]) if row is not None else None)
