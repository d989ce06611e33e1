"""Channel messages: create with nonce idempotency, and the page algorithm of contract 8.3.

Sequences (invariant 1): a root's ``channel_seq`` is allocated inside the write transaction from
``channels.last_seq`` (``UPDATE ... RETURNING``), so concurrent posts get unique, gap-free
numbers in commit order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict
from clickclack.events import Event
from clickclack.ids import new_id
from clickclack.store import _rows
from clickclack.store.access import channel_row
from clickclack.store.writer import Tx
from clickclack.types import Message, MessagePage

MAX_BODY_CHARS = 40_000
MAX_NONCE_CHARS = 128
PAGE_LIMIT_MAX = 200
PAGE_LIMIT_DEFAULT = 100


@dataclass(frozen=True, slots=True)
class PageQuery:
    mode: str = "latest"  # latest | before | after | around
    seq: int = 0
    limit: int = PAGE_LIMIT_DEFAULT


def clean_nonce(nonce: str) -> str:
    nonce = nonce.strip()
    if len(nonce) > MAX_NONCE_CHARS:
        raise BadRequest(f"nonce must be at most {MAX_NONCE_CHARS} characters",
                         code="nonce_invalid")
    if "\x00" in nonce:
        raise BadRequest("nonce must not contain NUL", code="nonce_invalid")
    return nonce


def get_message_row(conn: sqlite3.Connection, message_id: str) -> Message | None:
    r = conn.execute(_rows.MESSAGE_SELECT + " WHERE m.id = ?", (message_id,)).fetchone()
    return _rows.message(r) if r else None


def post_message(
    tx: Tx, actor: Actor, channel_id: str, body: str, nonce: str = "",
    correlation_id: str | None = None,
) -> tuple[Message, Event | None]:
    """Create a root message.  Returns (message, event); event is None on a nonce replay."""
    user_id = actor.user_id
    body = body.strip()
    nonce = clean_nonce(nonce)
    channel = channel_row(tx.conn, actor, channel_id)
    if not body:
        raise BadRequest("message body is required", code="body_required")
    if len(body) > MAX_BODY_CHARS:
        raise BadRequest(f"message body must be at most {MAX_BODY_CHARS} characters",
                         code="body_too_long")
    if nonce:
        prior = tx.one(
            "SELECT id, channel_id, parent_message_id, body, kind FROM messages"
            " WHERE author_id = ? AND client_nonce = ?",
            (user_id, nonce),
        )
        if prior is not None:
            same = (prior["channel_id"] == channel_id and prior["parent_message_id"] is None
                    and prior["body"] == body and prior["kind"] == "message")
            if not same:
                raise Conflict("client nonce was already used for a different message",
                               code="nonce_conflict")
            existing = get_message_row(tx.conn, prior["id"])
            assert existing is not None
            return existing, None
    seq_row = tx.one(
        "UPDATE channels SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
        (channel_id,),
    )
    assert seq_row is not None
    seq = int(seq_row[0])
    mid = new_id("msg")
    tx.execute(
        "INSERT INTO messages (id, workspace_id, channel_id, author_id, thread_root_id,"
        " channel_seq, body, body_format, kind, client_nonce, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'markdown', 'message', ?, ?)",
        (mid, channel["workspace_id"], channel_id, user_id, mid, seq, body, nonce, tx.now),
    )
    tx.execute("INSERT INTO thread_state (root_message_id) VALUES (?)", (mid,))
    payload: dict[str, object] = {"message_id": mid, "author_id": user_id}
    if nonce:
        payload["nonce"] = nonce
    if correlation_id:
        payload["correlation_id"] = correlation_id
    event = tx.emit("message.created", channel["workspace_id"], payload,
                    channel_id=channel_id, seq=seq)
    message = get_message_row(tx.conn, mid)
    assert message is not None
    return message, event


def page(conn: sqlite3.Connection, actor: Actor, channel_id: str, q: PageQuery) -> MessagePage:
    channel_row(conn, actor, channel_id)
    base = _rows.MESSAGE_SELECT + " WHERE m.channel_id = ? AND m.channel_seq IS NOT NULL"
    rows: list[sqlite3.Row]
    if q.mode == "latest":
        rows = conn.execute(base + " ORDER BY m.channel_seq DESC LIMIT ?",
                            (channel_id, q.limit)).fetchall()[::-1]
    elif q.mode == "before":
        rows = conn.execute(base + " AND m.channel_seq < ? ORDER BY m.channel_seq DESC LIMIT ?",
                            (channel_id, q.seq, q.limit)).fetchall()[::-1]
    elif q.mode == "after":
        rows = conn.execute(base + " AND m.channel_seq > ? ORDER BY m.channel_seq LIMIT ?",
                            (channel_id, q.seq, q.limit)).fetchall()
    else:  # around: ceil(limit/2) at or below seq, the rest above; fill from the other side
        below = conn.execute(base + " AND m.channel_seq <= ? ORDER BY m.channel_seq DESC LIMIT ?",
                             (channel_id, q.seq, q.limit)).fetchall()
        above = conn.execute(base + " AND m.channel_seq > ? ORDER BY m.channel_seq LIMIT ?",
                             (channel_id, q.seq, q.limit)).fetchall()
        want_below = (q.limit + 1) // 2
        take_below = min(len(below), max(want_below, q.limit - len(above)))
        take_above = min(len(above), q.limit - take_below)
        rows = below[:take_below][::-1] + above[:take_above]
    messages = [_rows.message(r) for r in rows]
    if not messages:
        return MessagePage(messages=[], oldest_seq=0, newest_seq=0, has_older=False,
                           has_newer=False)
    oldest = messages[0].channel_seq or 0
    newest = messages[-1].channel_seq or 0
    has_older = conn.execute(
        "SELECT 1 FROM messages WHERE channel_id = ? AND channel_seq < ? LIMIT 1",
        (channel_id, oldest)).fetchone() is not None
    has_newer = conn.execute(
        "SELECT 1 FROM messages WHERE channel_id = ? AND channel_seq > ? LIMIT 1",
        (channel_id, newest)).fetchone() is not None
    return MessagePage(messages=messages, oldest_seq=oldest, newest_seq=newest,
                       has_older=has_older, has_newer=has_newer)
