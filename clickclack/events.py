"""The event model shared by the store (which writes durable events) and realtime (which delivers
them).  Contract section 14.

An :class:`Event` is built once, inside the write transaction, and serialized to JSON once; the
same ``json`` string then goes to every subscriber that may see it.  ``recipients`` is the
allow-list for private events (``None`` = everyone in the workspace may see it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

# Durable types (14.2).  Later features add theirs here; docs/events.md is checked against it.
DURABLE_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "channel.created",
        "channel.updated",
        "message.created",
        "message.updated",
        "message.deleted",
        "thread.reply_created",
        "thread.state_updated",
        "reaction.added",
        "reaction.removed",
        "pin.added",
        "pin.removed",
        "channel.read",
        "dm.read",
        "member.moderation_updated",
        "workspace.updated",
        "workspace.ownership_transferred",
        "channel.deleted",
    }
)

# Ephemeral types (14.3): never stored, never replayed, may be dropped.
EPHEMERAL_EVENT_TYPES: frozenset[str] = frozenset(
    {"typing.started", "typing.stopped", "presence.changed", "agent.progress"}
)


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    cursor: str  # "" for ephemeral events
    type: str
    workspace_id: str
    created_at: str
    payload: dict[str, Any] | None
    channel_id: str | None = None
    seq: int | None = None
    recipients: frozenset[str] | None = None
    guest_visible: bool = True  # guests see workspace-level and #guest events only
    json: str = field(default="", compare=False)

    def to_wire(self) -> dict[str, Any]:
        """The envelope of 14.1: optional fields are left out, never sent as null."""
        out: dict[str, Any] = {
            "id": self.id,
            "cursor": self.cursor,
            "type": self.type,
            "workspace_id": self.workspace_id,
        }
        if self.channel_id:
            out["channel_id"] = self.channel_id
        if self.seq is not None:
            out["seq"] = self.seq
        out["created_at"] = self.created_at
        out["payload"] = self.payload
        return out

    def visible_to(self, user_id: str, is_guest: bool = False) -> bool:
        if is_guest and not self.guest_visible:
            return False
        return self.recipients is None or user_id in self.recipients


def make_event(
    *,
    id: str,
    cursor: str,
    type: str,
    workspace_id: str,
    created_at: str,
    payload: dict[str, Any] | None,
    channel_id: str | None = None,
    seq: int | None = None,
    recipients: frozenset[str] | None = None,
    guest_visible: bool = True,
) -> Event:
    """Build an Event with its JSON rendered once."""
    ev = Event(id, cursor, type, workspace_id, created_at, payload, channel_id, seq, recipients,
               guest_visible)
    return Event(
        id, cursor, type, workspace_id, created_at, payload, channel_id, seq, recipients,
        guest_visible, orjson.dumps(ev.to_wire()).decode(),
    )
