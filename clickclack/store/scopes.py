"""Conversation scopes: where a message lives (a channel or a direct conversation) and who may see
it.  Every conversation read or write resolves its scope here first, so the visibility rules
(private channels, DM membership, bot workspace binding) are decided in one place, inside the
caller's own query or transaction.

The same audience decides event recipients: ``recipients`` is ``None`` for a public channel
(everyone in the workspace; guests only for #guest) and the member set for a private channel or
a DM, so live delivery and replay show events exactly to those who may see the conversation.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from clickclack.actor import Actor
from clickclack.errors import BadRequest, NotFound
from clickclack.store.access import channel_row, member_role, require_can_write


@dataclass(frozen=True, slots=True)
class Scope:
    workspace_id: str
    role: str  # the caller's workspace role
    channel_id: str | None = None
    channel_name: str | None = None
    channel_kind: str | None = None
    archived: bool = False
    dm_id: str | None = None
    recipients: frozenset[str] | None = None  # None: the whole workspace audience
    row: sqlite3.Row | None = None  # the channel row (with the caller's role), for channels

    @property
    def guest_visible(self) -> bool:
        """Events in this conversation reach guests only in #guest (DMs never include guests)."""
        return self.channel_name == "guest"

    @property
    def is_dm(self) -> bool:
        return self.dm_id is not None

    def event_fields(self) -> dict[str, object]:
        """Common payload keys for message-scoped events."""
        return {"direct_conversation_id": self.dm_id} if self.dm_id else {}


def require_write(conn: sqlite3.Connection, actor: Actor, scope: Scope, now: str, *,
                  budget: bool = False) -> None:
    """Moderation applies to every write in a conversation (contract 6); ``budget`` counts the
    write against a guest's post allowance (posts and replies only)."""
    require_can_write(conn, actor, scope.workspace_id, channel_row=scope.row, now=now,
                      budget=budget)


def channel_members(conn: sqlite3.Connection, channel_id: str) -> frozenset[str]:
    return frozenset(r[0] for r in conn.execute(
        "SELECT user_id FROM channel_members WHERE channel_id = ?", (channel_id,)))


def channel_scope(conn: sqlite3.Connection, actor: Actor, channel_id: str) -> Scope:
    """The channel if the caller may see it: a member of its workspace, and for a private channel
    a member of the channel.  Anything else is NotFound (D2)."""
    row = channel_row(conn, actor, channel_id)
    recipients = None
    if row["kind"] == "private":
        recipients = channel_members(conn, channel_id)
        if actor.user_id not in recipients:
            raise NotFound("channel not found", code="channel_not_found")
    return Scope(
        workspace_id=row["workspace_id"], role=row["role"], channel_id=channel_id,
        channel_name=row["name"], channel_kind=row["kind"],
        archived=row["archived_at"] is not None, recipients=recipients, row=row,
    )


def dm_members(conn: sqlite3.Connection, dm_id: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT user_id FROM direct_conversation_members WHERE conversation_id = ?"
        " ORDER BY user_id", (dm_id,))]


def dm_audience(conn: sqlite3.Connection, dm_id: str, workspace_id: str) -> frozenset[str]:
    """DM events go to the members who are still members of the workspace (contract 13)."""
    return frozenset(r[0] for r in conn.execute(
        "SELECT d.user_id FROM direct_conversation_members d JOIN workspace_members m"
        " ON m.workspace_id = ? AND m.user_id = d.user_id WHERE d.conversation_id = ?",
        (workspace_id, dm_id)))


def dm_scope(conn: sqlite3.Connection, actor: Actor, dm_id: str) -> Scope:
    r = conn.execute("SELECT workspace_id FROM direct_conversations WHERE id = ?",
                     (dm_id,)).fetchone()
    if r is None:
        raise NotFound("conversation not found", code="dm_not_found")
    try:
        role = member_role(conn, actor, r[0])
    except NotFound:
        raise NotFound("conversation not found", code="dm_not_found") from None
    members = dm_members(conn, dm_id)
    if actor.user_id not in members or role == "guest":
        raise NotFound("conversation not found", code="dm_not_found")
    return Scope(workspace_id=r[0], role=role, dm_id=dm_id,
                 recipients=dm_audience(conn, dm_id, r[0]))


def message_scope(conn: sqlite3.Connection, actor: Actor, message_id: str
                  ) -> tuple[sqlite3.Row, Scope]:
    """The message row and its scope, if the caller may see the message."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise NotFound("message not found", code="message_not_found")
    try:
        if row["direct_conversation_id"]:
            scope = dm_scope(conn, actor, row["direct_conversation_id"])
        elif row["channel_id"]:
            scope = channel_scope(conn, actor, row["channel_id"])
        else:  # pragma: no cover - every message has one of the two
            raise BadRequest("message has no conversation", code="message_orphaned")
    except NotFound:
        raise NotFound("message not found", code="message_not_found") from None
    return row, scope
