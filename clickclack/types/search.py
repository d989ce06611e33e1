"""Wire types for message search (contract 15 with D8)."""

from __future__ import annotations

from clickclack.types.core import Out, User

__all__ = ["Highlight", "SearchPage", "SearchResult"]


class Highlight(Out):
    """A match inside the snippet: [start, end) in Unicode code points (not bytes, not UTF-16
    units)."""

    start: int
    end: int


class SearchResult(Out):
    """One matching message.  No rank and no full body: a bounded plain-text ``snippet`` around
    the first match (``…`` where it was cut) with the matches marked by ``highlights``."""

    id: str
    workspace_id: str
    author: User
    thread_root_id: str
    created_at: str
    reply_count: int  # the root's thread reply count; 0 for replies
    snippet: str
    highlights: list[Highlight]
    channel_id: str | None = None
    channel_name: str | None = None
    direct_conversation_id: str | None = None
    parent_message_id: str | None = None
    channel_seq: int | None = None
    thread_seq: int | None = None
    edited_at: str | None = None
    last_reply_at: str | None = None


class SearchPage(Out):
    """Newest first.  ``next_cursor`` is null on the last page."""

    results: list[SearchResult]
    next_cursor: str | None
