"""Channel messages: posting a root and the page algorithm (contract 8.2/8.3).  Both are the
channel-scoped entry points to ``store/conversation.py``, which owns the message model
(sequences, nonces, moderation, Markdown, quotes, mentions, events)."""

from __future__ import annotations

import sqlite3

from clickclack.actor import Actor
from clickclack.events import Event
from clickclack.store import conversation
from clickclack.store.conversation import (
    MAX_BODY_CHARS,
    MAX_NONCE_CHARS,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PageQuery,
    clean_nonce,
)
from clickclack.store.scopes import channel_scope
from clickclack.store.writer import Tx
from clickclack.types import Message, MessagePage

__all__ = [
    "MAX_BODY_CHARS",
    "MAX_NONCE_CHARS",
    "PAGE_LIMIT_DEFAULT",
    "PAGE_LIMIT_MAX",
    "PageQuery",
    "clean_nonce",
    "page",
    "post_message",
]


def post_message(
    tx: Tx, actor: Actor, channel_id: str, body: str, nonce: str = "",
    correlation_id: str | None = None, quoted_message_id: str | None = None,
    topic_id: str | None = None,
) -> tuple[Message, Event | None]:
    """Create a root message.  Returns (message, event); event is None on a nonce replay."""
    scope = channel_scope(tx.conn, actor, channel_id)
    message, events = conversation.create(
        tx, actor, scope, body, nonce=nonce, quoted_message_id=quoted_message_id,
        correlation_id=correlation_id, topic_id=topic_id)
    return message, (events[0] if events else None)


def page(conn: sqlite3.Connection, actor: Actor, channel_id: str, q: PageQuery) -> MessagePage:
    return conversation.page(conn, actor, channel_scope(conn, actor, channel_id), q)
