"""Reactions (contract 10) and pins (contract 11)."""

from __future__ import annotations

import sqlite3
import unicodedata

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, NotFound
from clickclack.events import Event
from clickclack.ids import new_id
from clickclack.store import _rows
from clickclack.store.conversation import hydrate
from clickclack.store.scopes import Scope, channel_scope, message_scope, require_write
from clickclack.store.writer import Tx
from clickclack.types import Message, ReactionSummary

MAX_EMOJI_CHARS = 64
MAX_DISTINCT_REACTIONS = 50  # distinct emoji on one message
MAX_PINS_PER_CHANNEL = 100
PINS_LIMIT_MAX = 100


def clean_emoji(emoji: str) -> str:
    """Emoji are stored as sent (a Unicode emoji or a :shortcode:), within bounds: no controls,
    no whitespace, at most 64 code points."""
    emoji = emoji.strip()
    if not emoji:
        raise BadRequest("emoji is required", code="emoji_required")
    if len(emoji) > MAX_EMOJI_CHARS:
        raise BadRequest(f"emoji must be at most {MAX_EMOJI_CHARS} characters",
                         code="emoji_too_long")
    # Zero-width joiners build family/flag emoji; every other control or format character
    # (including bidi overrides) and all whitespace are refused.
    if any(ch.isspace() or (unicodedata.category(ch) in ("Cc", "Cf") and ch != "\u200d")
           for ch in emoji):
        raise BadRequest("emoji must not contain whitespace or control characters",
                         code="emoji_invalid")
    return emoji


def summary(conn: sqlite3.Connection, viewer_id: str, message_id: str) -> list[ReactionSummary]:
    rows = conn.execute(
        "SELECT emoji, COUNT(*) AS n, MAX(user_id = ?) AS mine FROM reactions"
        " WHERE message_id = ? GROUP BY emoji ORDER BY n DESC, emoji",
        (viewer_id, message_id)).fetchall()
    return [ReactionSummary(emoji=r["emoji"], count=r["n"], reacted_by_me=bool(r["mine"]))
            for r in rows]


def _reaction_event(tx: Tx, type: str, row: sqlite3.Row, scope: Scope, emoji: str,
                    user_id: str) -> Event:
    count = tx.one("SELECT COUNT(*) FROM reactions WHERE message_id = ? AND emoji = ?",
                   (row["id"], emoji))
    payload = {"message_id": row["id"], "emoji": emoji, "user_id": user_id,
               "count": count[0] if count else 0, **scope.event_fields()}
    return tx.emit(type, scope.workspace_id, payload, channel_id=scope.channel_id,
                   seq=row["channel_seq"], recipients=scope.recipients)


def add_reaction(tx: Tx, actor: Actor, message_id: str, emoji: str
                 ) -> tuple[Event | None, list[ReactionSummary]]:
    """(event, summary); event is None when the reaction already existed (200, no event)."""
    row, scope = message_scope(tx.conn, actor, message_id)
    require_write(tx.conn, actor, scope, tx.now)
    emoji = clean_emoji(emoji)
    if row["deleted_at"] is not None:
        raise BadRequest("cannot react to a deleted message", code="message_deleted")
    if tx.one("SELECT 1 FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
              (message_id, actor.user_id, emoji)):
        return None, summary(tx.conn, actor.user_id, message_id)
    distinct = tx.one("SELECT COUNT(DISTINCT emoji) FROM reactions WHERE message_id = ?"
                      " AND emoji <> ?", (message_id, emoji))
    if distinct is not None and distinct[0] >= MAX_DISTINCT_REACTIONS:
        raise Conflict(f"a message may have at most {MAX_DISTINCT_REACTIONS} different "
                       "reactions", code="reaction_limit")
    tx.execute("INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?,?,?,?)",
               (message_id, actor.user_id, emoji, tx.now))
    event = _reaction_event(tx, "reaction.added", row, scope, emoji, actor.user_id)
    return event, summary(tx.conn, actor.user_id, message_id)


def remove_reaction(tx: Tx, actor: Actor, message_id: str, emoji: str
                    ) -> tuple[Event | None, list[ReactionSummary]]:
    row, scope = message_scope(tx.conn, actor, message_id)
    require_write(tx.conn, actor, scope, tx.now)
    emoji = clean_emoji(emoji)
    cur = tx.execute("DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
                     (message_id, actor.user_id, emoji))
    event = None
    if cur.rowcount:
        event = _reaction_event(tx, "reaction.removed", row, scope, emoji, actor.user_id)
    return event, summary(tx.conn, actor.user_id, message_id)


# --- pins -----------------------------------------------------------------------------------

def list_pins(conn: sqlite3.Connection, actor: Actor, channel_id: str, limit: int
              ) -> list[Message]:
    channel_scope(conn, actor, channel_id)
    rows = conn.execute(
        _rows.MESSAGE_SELECT + " JOIN pinned_messages p ON p.message_id = m.id"
        " WHERE p.channel_id = ? AND m.deleted_at IS NULL ORDER BY p.created_at DESC, p.id DESC"
        " LIMIT ?", (channel_id, limit)).fetchall()
    return hydrate(conn, actor.user_id, [_rows.message(r) for r in rows])


def pin(tx: Tx, actor: Actor, channel_id: str, message_id: str) -> tuple[dict[str, str], Event]:
    scope = channel_scope(tx.conn, actor, channel_id)
    require_write(tx.conn, actor, scope, tx.now)
    row = tx.one("SELECT id, channel_id, channel_seq, deleted_at, direct_conversation_id"
                 " FROM messages WHERE id = ?", (message_id,))
    if row is None or row["channel_id"] != channel_id:
        raise BadRequest("message is not in this channel", code="pin_wrong_channel")
    if row["deleted_at"] is not None:
        raise BadRequest("a deleted message cannot be pinned", code="message_deleted")
    if tx.one("SELECT 1 FROM pinned_messages WHERE channel_id = ? AND message_id = ?",
              (channel_id, message_id)):
        raise Conflict("message is already pinned", code="already_pinned")
    pid = new_id("pin")
    # One atomic insert-if-under-limit (the writer serializes, but keep the rule in SQL).
    cur = tx.execute(
        "INSERT INTO pinned_messages (id, workspace_id, channel_id, message_id, pinned_by,"
        " created_at) SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM pinned_messages"
        " WHERE channel_id = ?) < ?",
        (pid, scope.workspace_id, channel_id, message_id, actor.user_id, tx.now, channel_id,
         MAX_PINS_PER_CHANNEL))
    if cur.rowcount == 0:
        raise Conflict(f"a channel may have at most {MAX_PINS_PER_CHANNEL} pins",
                       code="pin_limit")
    event = tx.emit("pin.added", scope.workspace_id,
                    {"channel_id": channel_id, "message_id": message_id,
                     "pinned_by": actor.user_id},
                    channel_id=channel_id, seq=row["channel_seq"], recipients=scope.recipients)
    pinned = {"id": pid, "workspace_id": scope.workspace_id, "channel_id": channel_id,
              "message_id": message_id, "pinned_by": actor.user_id, "created_at": tx.now}
    return pinned, event


def unpin(tx: Tx, actor: Actor, channel_id: str, message_id: str) -> Event:
    scope = channel_scope(tx.conn, actor, channel_id)
    require_write(tx.conn, actor, scope, tx.now)
    gone = tx.one("DELETE FROM pinned_messages WHERE channel_id = ? AND message_id = ?"
                  " RETURNING message_id", (channel_id, message_id))
    if gone is None:
        raise NotFound("message is not pinned", code="not_pinned")
    seq = tx.one("SELECT channel_seq FROM messages WHERE id = ?", (message_id,))
    return tx.emit("pin.removed", scope.workspace_id,
                   {"channel_id": channel_id, "message_id": message_id,
                    "pinned_by": actor.user_id},
                   channel_id=channel_id, seq=seq[0] if seq else None,
                   recipients=scope.recipients)
