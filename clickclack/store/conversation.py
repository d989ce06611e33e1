"""Messages in a conversation scope (channel or DM): create (roots and thread replies), edit,
soft delete, read one, by nonce, pages, and hydration with reactions and mentions.  Contract
sections 8, 9 and 13; invariants 1-3 and 6.

Sequences (invariant 1): a root's ``channel_seq`` comes from ``channels.last_seq`` or
``direct_conversations.last_seq`` (``UPDATE ... RETURNING``); a reply's ``thread_seq`` from its
root's ``thread_state.reply_count``.  Both are allocated inside the write transaction, so they are
unique and gap-free in commit order.  Replies never touch the conversation sequence, so they never
appear in root listings or unread counts.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson

from clickclack.actor import Actor
from clickclack.errors import BadRequest, Conflict, Forbidden, NotFound
from clickclack.events import Event
from clickclack.ids import new_id
from clickclack.render import render_markdown
from clickclack.store import _rows
from clickclack.store import uploads as upload_rows
from clickclack.store.scopes import Scope, message_scope, require_write
from clickclack.store.writer import Tx
from clickclack.types import Mentions, Message, MessagePage, ReactionSummary

MAX_BODY_CHARS = 40_000
MAX_NONCE_CHARS = 128
MAX_MENTIONS = 50
PAGE_LIMIT_MAX = 200
PAGE_LIMIT_DEFAULT = 100
THREAD_AUTHORS_KEPT = 3
_MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9_-]{1,31})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PageQuery:
    mode: str = "latest"  # latest | before | after | around
    seq: int = 0
    limit: int = PAGE_LIMIT_DEFAULT
    topic_id: str | None = None  # channel pages: only messages with this label


def clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise BadRequest("message body is required", code="body_required")
    if len(body) > MAX_BODY_CHARS:
        raise BadRequest(f"message body must be at most {MAX_BODY_CHARS} characters",
                         code="body_too_long")
    return body


def clean_nonce(nonce: str) -> str:
    nonce = nonce.strip()
    if len(nonce) > MAX_NONCE_CHARS:
        raise BadRequest(f"nonce must be at most {MAX_NONCE_CHARS} characters",
                         code="nonce_invalid")
    if "\x00" in nonce:
        raise BadRequest("nonce must not contain NUL", code="nonce_invalid")
    return nonce


# --- reads and hydration ------------------------------------------------------------------------

def hydrate(conn: sqlite3.Connection, viewer_id: str, messages: list[Message]) -> list[Message]:
    """Attach reactions (with ``reacted_by_me``), mentioned users, quoted authors and
    attachments (never on deleted messages): four queries for a whole page, none per message."""
    if not messages:
        return messages
    ids = [m.id for m in messages]
    marks = ",".join("?" * len(ids))
    reactions: dict[str, list[ReactionSummary]] = {}
    for r in conn.execute(
        f"SELECT message_id, emoji, COUNT(*) AS n, MAX(user_id = ?) AS mine FROM reactions"
        f" WHERE message_id IN ({marks}) GROUP BY message_id, emoji", (viewer_id, *ids)
    ).fetchall():
        reactions.setdefault(r["message_id"], []).append(
            ReactionSummary(emoji=r["emoji"], count=r["n"], reacted_by_me=bool(r["mine"])))
    mentioned: dict[str, list[str]] = {}
    for r in conn.execute(
        f"SELECT message_id, user_id FROM message_mentions WHERE message_id IN ({marks})"
        " ORDER BY user_id", ids
    ).fetchall():
        mentioned.setdefault(r[0], []).append(r[1])
    quoted_ids = sorted({m.quoted_author_id for m in messages if m.quoted_author_id})
    authors = {}
    if quoted_ids:
        q = ",".join("?" * len(quoted_ids))
        authors = {r["id"]: _rows.user(r) for r in conn.execute(
            f"SELECT {_rows.USER_COLS} FROM users u WHERE u.id IN ({q})", quoted_ids)}
    attachments = upload_rows.attachments_for(
        conn, [m.id for m in messages if m.deleted_at is None])
    out = []
    for m in messages:
        changes: dict[str, Any] = {}
        if m.id in reactions:
            changes["reactions"] = sorted(reactions[m.id], key=lambda s: (-s.count, s.emoji))
        if m.id in mentioned:
            base = m.mentions or Mentions(user_ids=[], channel=False, here=False)
            changes["mentions"] = msgspec.structs.replace(base, user_ids=mentioned[m.id])
        if m.quoted_author_id in authors:
            changes["quoted_author"] = authors[m.quoted_author_id]
        if m.id in attachments:
            changes["attachments"] = attachments[m.id]
        out.append(msgspec.structs.replace(m, **changes) if changes else m)
    return out


def load(conn: sqlite3.Connection, viewer_id: str, message_id: str) -> Message:
    r = conn.execute(_rows.MESSAGE_SELECT + " WHERE m.id = ?", (message_id,)).fetchone()
    if r is None:
        raise NotFound("message not found", code="message_not_found")
    return hydrate(conn, viewer_id, [_rows.message(r)])[0]


def get_message(conn: sqlite3.Connection, actor: Actor, message_id: str) -> Message:
    message_scope(conn, actor, message_id)
    return load(conn, actor.user_id, message_id)


def by_nonce(conn: sqlite3.Connection, actor: Actor, workspace_id: str, nonce: str) -> Message:
    """The caller's own message with that nonce (contract 8.2): 404 if none, 409 if the nonce
    was used in another workspace."""
    nonce = clean_nonce(nonce)
    r = conn.execute("SELECT id, workspace_id FROM messages WHERE author_id = ?"
                     " AND client_nonce = ?", (actor.user_id, nonce)).fetchone()
    if r is None or not nonce:
        raise NotFound("no message with that nonce", code="nonce_not_found")
    if r["workspace_id"] != workspace_id:
        raise Conflict("that nonce was used in another workspace", code="nonce_other_workspace")
    return get_message(conn, actor, r["id"])


def page(conn: sqlite3.Connection, actor: Actor, scope: Scope, q: PageQuery,
         root_id: str | None = None) -> MessagePage:
    """A window of roots (or of one thread's replies) in ascending order (contract 8.3)."""
    params: list[str]
    if root_id is not None:
        col, where, params = "m.thread_seq", "m.thread_root_id = ? AND m.thread_seq IS NOT NULL", \
            [root_id]
    elif scope.dm_id:
        col, where, params = "m.channel_seq", \
            "m.direct_conversation_id = ? AND m.channel_seq IS NOT NULL", [scope.dm_id]
    else:
        col, where, params = "m.channel_seq", "m.channel_id = ? AND m.channel_seq IS NOT NULL", \
            [scope.channel_id or ""]
        if q.topic_id:
            from clickclack.store.topics import check_topic

            check_topic(conn, scope, q.topic_id)
            where += " AND m.topic_id = ?"
            params.append(q.topic_id)
    base = _rows.MESSAGE_SELECT + " WHERE " + where

    def fetch(cond: str, order: str, *extra: object) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = conn.execute(
            f"{base}{cond} ORDER BY {col} {order} LIMIT ?", (*params, *extra, q.limit)
        ).fetchall()
        return rows

    if q.mode == "latest":
        rows = fetch("", "DESC")[::-1]
    elif q.mode == "before":
        rows = fetch(f" AND {col} < ?", "DESC", q.seq)[::-1]
    elif q.mode == "after":
        rows = fetch(f" AND {col} > ?", "ASC", q.seq)
    else:  # around: ceil(limit/2) at or below seq, the rest above; fill from the other side
        below = fetch(f" AND {col} <= ?", "DESC", q.seq)
        above = fetch(f" AND {col} > ?", "ASC", q.seq)
        take_below = min(len(below), max((q.limit + 1) // 2, q.limit - len(above)))
        rows = below[:take_below][::-1] + above[:q.limit - take_below]
    messages = hydrate(conn, actor.user_id, [_rows.message(r) for r in rows])
    if not messages:
        return MessagePage(messages=[], oldest_seq=0, newest_seq=0, has_older=False,
                           has_newer=False)
    field = "thread_seq" if root_id is not None else "channel_seq"
    oldest, newest = getattr(messages[0], field) or 0, getattr(messages[-1], field) or 0
    plain = col.removeprefix("m.")
    scope_where = where.replace("m.", "")

    def exists(op: str, seq: int) -> bool:
        return conn.execute(f"SELECT 1 FROM messages WHERE {scope_where} AND {plain} {op} ?"
                            " LIMIT 1", (*params, seq)).fetchone() is not None

    return MessagePage(messages=messages, oldest_seq=oldest, newest_seq=newest,
                       has_older=exists("<", oldest), has_newer=exists(">", newest))


# --- writes -------------------------------------------------------------------------------------

def _mentions(tx: Tx, scope: Scope, body: str) -> tuple[list[str], bool, bool]:
    """Mentions stored as data: @handle of members who can see the conversation, @channel and
    @here.  Text inside code is not excluded: keeping it simple and predictable."""
    handles = {h.lower() for h in _MENTION.findall(body)}
    everyone = "channel" in handles or "everyone" in handles
    here = "here" in handles
    handles -= {"channel", "everyone", "here"}
    users: list[str] = []
    if handles:
        names = sorted(handles)[:MAX_MENTIONS]
        marks = ",".join("?" * len(names))
        rows = tx.conn.execute(
            f"SELECT u.id FROM users u JOIN workspace_members m ON m.user_id = u.id"
            f" AND m.workspace_id = ? WHERE u.handle IN ({marks})",
            (scope.workspace_id, *names)).fetchall()
        users = sorted(r[0] for r in rows
                       if scope.recipients is None or r[0] in scope.recipients)
    return users, everyone, here


def _quote(tx: Tx, scope: Scope, quoted_id: str, root_id: str | None) -> sqlite3.Row:
    q = tx.one("SELECT id, channel_id, direct_conversation_id, thread_root_id, parent_message_id,"
               " body, author_id, deleted_at FROM messages WHERE id = ?", (quoted_id,))
    same = q is not None and (
        (scope.dm_id is not None and q["direct_conversation_id"] == scope.dm_id)
        or (scope.channel_id is not None and q["channel_id"] == scope.channel_id)
    )
    if same and q is not None:
        same = (q["thread_root_id"] == root_id) if root_id else q["parent_message_id"] is None
    if not same or q is None:
        raise BadRequest("quoted message is not in this channel, conversation, or thread",
                         code="quote_out_of_scope")
    return q


def create(
    tx: Tx, actor: Actor, scope: Scope, body: str, *, nonce: str = "",
    quoted_message_id: str | None = None, root: sqlite3.Row | None = None,
    correlation_id: str | None = None, topic_id: str | None = None,
    upload_id: str | None = None,
) -> tuple[Message, list[Event]]:
    """Create a root (``root`` is None) or a thread reply.  Returns (message, events); events is
    empty on a nonce replay (same payload: the existing message, no event)."""
    body = clean_body(body)
    nonce = clean_nonce(nonce)
    root_id = root["id"] if root is not None else None
    if nonce:
        prior = tx.one("SELECT id, channel_id, direct_conversation_id, thread_root_id,"
                       " parent_message_id, body, quoted_message_id, kind, topic_id FROM messages"
                       " WHERE author_id = ? AND client_nonce = ?", (actor.user_id, nonce))
        if prior is not None:
            same = (prior["channel_id"] == scope.channel_id
                    and prior["direct_conversation_id"] == scope.dm_id
                    and prior["parent_message_id"] == root_id
                    and prior["body"] == body and prior["kind"] == "message"
                    and prior["quoted_message_id"] == (quoted_message_id or None)
                    and prior["topic_id"] == (topic_id or None)
                    and (not upload_id
                         or upload_rows.is_attached(tx.conn, prior["id"], upload_id)))
            if not same:
                raise Conflict("client nonce was already used for a different message",
                               code="nonce_conflict")
            return load(tx.conn, actor.user_id, prior["id"]), []
    # Posting rights come after the nonce replay (contract 8.2): a retried post still answers.
    require_write(tx.conn, actor, scope, tx.now, budget=True)
    quoted = _quote(tx, scope, quoted_message_id, root_id) if quoted_message_id else None
    if topic_id:
        from clickclack.store.topics import check_topic

        check_topic(tx.conn, scope, topic_id)
    mid = new_id("msg")
    channel_seq = thread_seq = None
    if root is None:
        table = "direct_conversations" if scope.dm_id else "channels"
        seq_row = tx.one(f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = ?"
                         " RETURNING last_seq", (scope.dm_id or scope.channel_id,))
        assert seq_row is not None
        channel_seq = int(seq_row[0])
    else:
        state = tx.one("SELECT reply_count, last_reply_author_ids_json FROM thread_state"
                       " WHERE root_message_id = ?", (root_id,))
        count = state["reply_count"] if state else 0
        authors = orjson.loads(state["last_reply_author_ids_json"]) if state else []
        authors = [actor.user_id, *[a for a in authors if a != actor.user_id]]
        thread_seq = count + 1
        tx.execute(
            "INSERT INTO thread_state (root_message_id, reply_count, last_reply_at,"
            " last_reply_author_ids_json) VALUES (?, 1, ?, ?) ON CONFLICT (root_message_id) DO"
            " UPDATE SET reply_count = reply_count + 1, last_reply_at = excluded.last_reply_at,"
            " last_reply_author_ids_json = excluded.last_reply_author_ids_json",
            (root_id, tx.now, orjson.dumps(authors[:THREAD_AUTHORS_KEPT]).decode()))
    users, mention_channel, mention_here = _mentions(tx, scope, body)
    tx.execute(
        "INSERT INTO messages (id, workspace_id, channel_id, direct_conversation_id, author_id,"
        " parent_message_id, thread_root_id, channel_seq, thread_seq, body, body_html,"
        " body_format, kind, client_nonce, created_at, quoted_message_id, quoted_body_snapshot,"
        " quoted_author_id, mentions_channel, mentions_here, topic_id)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,'markdown','message',?,?,?,?,?,?,?,?)",
        (mid, scope.workspace_id, scope.channel_id, scope.dm_id, actor.user_id, root_id,
         root_id or mid, channel_seq, thread_seq, body, render_markdown(body), nonce, tx.now,
         quoted["id"] if quoted else None, quoted["body"] if quoted else "",
         quoted["author_id"] if quoted else None, int(mention_channel), int(mention_here),
         topic_id or None))
    if users:
        tx.conn.executemany("INSERT INTO message_mentions (message_id, user_id) VALUES (?, ?)",
                            [(mid, u) for u in users])
    if upload_id:  # attached in this transaction: the message and its attachment, or neither
        upload_rows.attach_new(tx, actor, scope, mid, upload_id)
    extra: dict[str, Any] = {}
    if nonce:
        extra["nonce"] = nonce
    if correlation_id:
        extra["correlation_id"] = correlation_id
    events: list[Event] = []
    if root is None:
        if scope.dm_id:
            # A new root unhides the conversation for every member (contract 13).
            tx.execute("DELETE FROM direct_conversation_hidden WHERE conversation_id = ?",
                       (scope.dm_id,))
            payload: dict[str, Any] = {"message_id": mid, "direct_conversation_id": scope.dm_id,
                                       "author_id": actor.user_id, **extra}
        else:
            payload = {"message_id": mid, "author_id": actor.user_id,
                       **({"topic_id": topic_id} if topic_id else {}), **extra}
        events.append(tx.emit("message.created", scope.workspace_id, payload,
                              channel_id=scope.channel_id, seq=channel_seq,
                              recipients=scope.recipients, guest_visible=scope.guest_visible))
    else:
        common = scope.event_fields()
        events.append(tx.emit("thread.reply_created", scope.workspace_id,
                              {"message_id": mid, "root_message_id": root_id, **common, **extra},
                              channel_id=scope.channel_id, recipients=scope.recipients))
        events.append(tx.emit("thread.state_updated", scope.workspace_id,
                              {"root_message_id": root_id, **common},
                              channel_id=scope.channel_id, recipients=scope.recipients))
    # A new message has no reactions yet: one query instead of load()'s three.
    row = tx.one(_rows.MESSAGE_SELECT + " WHERE m.id = ?", (mid,))
    assert row is not None
    message = _rows.message(row)
    if users:
        base = message.mentions or Mentions(user_ids=[], channel=False, here=False)
        message = msgspec.structs.replace(message, mentions=msgspec.structs.replace(
            base, user_ids=users))
    if quoted is not None or upload_id:
        message = hydrate(tx.conn, actor.user_id, [message])[0]  # quoted author, attachments
    return message, events


def _writable(row: sqlite3.Row, scope: Scope, actor: Actor, *, allow_owner: bool) -> None:
    if row["author_id"] == actor.user_id:
        return
    if allow_owner and scope.channel_id is not None and scope.role == "owner":
        return
    raise Forbidden("message is not writable", code="message_not_writable")


def _message_event(tx: Tx, type: str, row: sqlite3.Row, scope: Scope) -> Event:
    return tx.emit(type, scope.workspace_id,
                   {"message_id": row["id"], "root_message_id": row["thread_root_id"],
                    **scope.event_fields()},
                   channel_id=scope.channel_id, seq=row["channel_seq"],
                   recipients=scope.recipients)


def edit(tx: Tx, actor: Actor, message_id: str, body: str) -> tuple[Message, Event]:
    row, scope = message_scope(tx.conn, actor, message_id)
    require_write(tx.conn, actor, scope, tx.now)
    _writable(row, scope, actor, allow_owner=False)
    if row["deleted_at"] is not None:
        raise BadRequest("a deleted message cannot be edited", code="message_deleted")
    body = clean_body(body)
    users, mention_channel, mention_here = _mentions(tx, scope, body)
    tx.execute("UPDATE messages SET body = ?, body_html = ?, edited_at = ?, mentions_channel = ?,"
               " mentions_here = ? WHERE id = ?",
               (body, render_markdown(body), tx.now, int(mention_channel), int(mention_here),
                message_id))
    tx.execute("DELETE FROM message_mentions WHERE message_id = ?", (message_id,))
    tx.conn.executemany("INSERT INTO message_mentions (message_id, user_id) VALUES (?, ?)",
                        [(message_id, u) for u in users])
    event = _message_event(tx, "message.updated", row, scope)
    return load(tx.conn, actor.user_id, message_id), event


def delete(tx: Tx, actor: Actor, message_id: str) -> tuple[Message, list[Event]]:
    """Soft delete (invariant 3): body blanked, slot kept, pins removed (pin.removed first),
    then message.deleted.  A second delete is a no-op with no event."""
    row, scope = message_scope(tx.conn, actor, message_id)
    require_write(tx.conn, actor, scope, tx.now)
    _writable(row, scope, actor, allow_owner=True)
    if row["deleted_at"] is not None:
        return load(tx.conn, actor.user_id, message_id), []
    events: list[Event] = []
    for pin in tx.execute("DELETE FROM pinned_messages WHERE message_id = ? RETURNING channel_id",
                          (message_id,)).fetchall():
        events.append(tx.emit("pin.removed", scope.workspace_id,
                              {"channel_id": pin[0], "message_id": message_id,
                               "pinned_by": actor.user_id},
                              channel_id=pin[0], seq=row["channel_seq"],
                              recipients=scope.recipients))
    tx.execute("UPDATE messages SET body = '', body_html = '', deleted_at = ?,"
               " mentions_channel = 0, mentions_here = 0 WHERE id = ?", (tx.now, message_id))
    tx.execute("DELETE FROM message_mentions WHERE message_id = ?", (message_id,))
    tx.execute("DELETE FROM reactions WHERE message_id = ?", (message_id,))
    upload_rows.unlink_message(tx, message_id)  # uploads attached nowhere else go too
    events.append(_message_event(tx, "message.deleted", row, scope))
    return load(tx.conn, actor.user_id, message_id), events


def thread_root(conn: sqlite3.Connection, actor: Actor, message_id: str
                ) -> tuple[sqlite3.Row, Scope]:
    row, scope = message_scope(conn, actor, message_id)
    if row["parent_message_id"] is not None:
        raise BadRequest("nested thread replies are not supported", code="thread_nested")
    return row, scope


def reply(tx: Tx, actor: Actor, root_id: str, body: str, nonce: str = "",
          quoted_message_id: str | None = None, correlation_id: str | None = None
          ) -> tuple[Message, list[Event]]:
    root, scope = thread_root(tx.conn, actor, root_id)
    return create(tx, actor, scope, body, nonce=nonce, quoted_message_id=quoted_message_id,
                  root=root, correlation_id=correlation_id)
