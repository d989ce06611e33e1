"""Row -> wire type conversions shared by the store modules (SQLite-specific, private)."""

from __future__ import annotations

import sqlite3

import orjson

from clickclack.events import Event
from clickclack.types import (
    Channel,
    EventOut,
    Mentions,
    Message,
    ThreadState,
    User,
    Workspace,
)

USER_COLS = "u.id, u.kind, u.display_name, u.handle, u.avatar_url, u.created_at, u.owner_user_id"


def user(r: sqlite3.Row, prefix: str = "") -> User:
    return User(
        id=r[prefix + "id"],
        kind=r[prefix + "kind"],
        display_name=r[prefix + "display_name"],
        handle=r[prefix + "handle"],
        avatar_url=r[prefix + "avatar_url"],
        created_at=r[prefix + "created_at"],
        owner_user_id=r[prefix + "owner_user_id"],
    )


def workspace(r: sqlite3.Row, role: str | None = None) -> Workspace:
    return Workspace(
        id=r["id"], route_id=r["route_id"], name=r["name"], slug=r["slug"],
        icon_url=r["icon_url"], created_at=r["created_at"], role=role,  # type: ignore[arg-type]
    )


def channel(r: sqlite3.Row, *, last_read_seq: int = 0, unread: int = 0,
            mentions: int = 0) -> Channel:
    keys = r.keys()
    return Channel(
        id=r["id"], route_id=r["route_id"], workspace_id=r["workspace_id"], name=r["name"],
        kind=r["kind"], created_at=r["created_at"], external_managed=False,
        display_title=r["display_title"] or None,
        archived_at=r["archived_at"], last_seq=r["last_seq"], last_read_seq=last_read_seq,
        unread_count=unread, mention_count=mentions,
        purpose=(r["purpose"] or None) if "purpose" in keys else None,
    )


MESSAGE_SELECT = (
    "SELECT m.id, m.workspace_id, m.channel_id, m.author_id, m.parent_message_id,"
    " m.thread_root_id, m.channel_seq, m.thread_seq, m.body, m.body_format, m.kind,"
    " m.client_nonce, m.created_at, m.edited_at, m.deleted_at, m.body_html,"
    " m.direct_conversation_id, m.quoted_message_id, m.quoted_body_snapshot,"
    " m.quoted_author_id, m.mentions_channel, m.mentions_here, m.topic_id,"
    " u.id AS a_id, u.kind AS a_kind, u.display_name AS a_display_name, u.handle AS a_handle,"
    " u.avatar_url AS a_avatar_url, u.created_at AS a_created_at,"
    " u.owner_user_id AS a_owner_user_id,"
    " ts.reply_count AS ts_reply_count, ts.last_reply_at AS ts_last_reply_at,"
    " ts.last_reply_author_ids_json AS ts_authors"
    " FROM messages m JOIN users u ON u.id = m.author_id"
    " LEFT JOIN thread_state ts ON ts.root_message_id = m.id"
)


def message(r: sqlite3.Row) -> Message:
    is_root = r["parent_message_id"] is None
    state = None
    if is_root:
        state = ThreadState(
            root_message_id=r["id"],
            reply_count=r["ts_reply_count"] or 0,
            last_reply_at=r["ts_last_reply_at"],
            last_reply_author_ids=orjson.loads(r["ts_authors"] or "[]"),
        )
    return Message(
        id=r["id"], workspace_id=r["workspace_id"], author_id=r["author_id"],
        author=user(r, "a_"), thread_root_id=r["thread_root_id"], body=r["body"],
        body_format=r["body_format"], created_at=r["created_at"], kind=r["kind"],
        channel_id=r["channel_id"], parent_message_id=r["parent_message_id"],
        channel_seq=r["channel_seq"], thread_seq=r["thread_seq"], edited_at=r["edited_at"],
        deleted_at=r["deleted_at"], nonce=r["client_nonce"] or None, thread_state=state,
        body_html=r["body_html"], direct_conversation_id=r["direct_conversation_id"],
        quoted_message_id=r["quoted_message_id"], topic_id=r["topic_id"],
        quoted_body_snapshot=r["quoted_body_snapshot"] if r["quoted_message_id"] else None,
        quoted_author_id=r["quoted_author_id"],
        mentions=(Mentions(user_ids=[], channel=bool(r["mentions_channel"]),
                           here=bool(r["mentions_here"]))
                  if r["mentions_channel"] or r["mentions_here"] else None),
    )


def event_out(e: Event) -> EventOut:
    return EventOut(
        id=e.id, cursor=e.cursor, type=e.type, workspace_id=e.workspace_id,
        created_at=e.created_at, payload=e.payload, channel_id=e.channel_id, seq=e.seq,
    )
