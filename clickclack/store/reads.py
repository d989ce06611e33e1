"""Read pointers (contract 12): forward-only, capped at the conversation's last root sequence,
with private ``channel.read`` / ``dm.read`` events for the reader alone."""

from __future__ import annotations

from typing import Any

from clickclack.actor import Actor
from clickclack.errors import BadRequest
from clickclack.events import Event
from clickclack.store.scopes import channel_scope, dm_scope
from clickclack.store.writer import Tx


def mark_read(tx: Tx, actor: Actor, seq: int, *, channel_id: str | None = None,
              dm_id: str | None = None) -> tuple[dict[str, Any], Event | None]:
    if seq < 0:
        raise BadRequest("seq must be zero or more", code="seq_invalid")
    if channel_id is not None:
        scope = channel_scope(tx.conn, actor, channel_id)
        table, key, owner = "channel_reads", "channel_id", "channels"
        scope_id = channel_id
    else:
        assert dm_id is not None
        scope = dm_scope(tx.conn, actor, dm_id)
        table, key, owner = "direct_reads", "conversation_id", "direct_conversations"
        scope_id = dm_id
    last = tx.one(f"SELECT last_seq FROM {owner} WHERE id = ?", (scope_id,))
    capped = min(seq, last[0] if last else 0)
    current = tx.one(f"SELECT last_read_seq, last_read_at FROM {table} WHERE {key} = ?"
                     " AND user_id = ?", (scope_id, actor.user_id))
    stored = int(current[0]) if current else 0
    receipt: dict[str, Any] = {"scope_id": scope_id, "user_id": actor.user_id,
                               "last_read_seq": stored,
                               "last_read_at": current[1] if current else ""}
    if capped <= stored:
        return receipt, None  # not forward: no write, no event
    tx.execute(f"INSERT INTO {table} ({key}, user_id, last_read_seq, last_read_at)"
               f" VALUES (?, ?, ?, ?) ON CONFLICT ({key}, user_id) DO UPDATE SET"
               " last_read_seq = excluded.last_read_seq, last_read_at = excluded.last_read_at",
               (scope_id, actor.user_id, capped, tx.now))
    receipt.update(last_read_seq=capped, last_read_at=tx.now)
    me = frozenset({actor.user_id})
    if channel_id is not None:
        event = tx.emit("channel.read", scope.workspace_id,
                        {"channel_id": channel_id, "user_id": actor.user_id},
                        channel_id=channel_id, seq=capped, recipients=me)
    else:
        event = tx.emit("dm.read", scope.workspace_id,
                        {"direct_conversation_id": dm_id, "user_id": actor.user_id},
                        seq=capped, recipients=me)
    return receipt, event
