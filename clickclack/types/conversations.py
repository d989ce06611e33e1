"""Wire types for conversations: channels beyond the basics, threads, reactions, pins, read
pointers and direct messages (contract sections 7-13)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from clickclack.types.core import (
    Channel,
    EventOut,
    In,
    Message,
    Nonce,
    Out,
    ReactionSummary,
    ThreadState,
    User,
)

Body = Annotated[str, Meta(max_length=40_000)]
MsgId = Annotated[str, Meta(min_length=1, max_length=64)]


class ChannelOut(Out):
    channel: Channel


class ChannelUpdated(Out):
    channel: Channel
    event: EventOut | None = None


class PatchChannel(In):
    name: Annotated[str, Meta(max_length=200)] | None = None
    display_title: Annotated[str, Meta(max_length=200)] | None = None
    purpose: Annotated[str, Meta(max_length=280)] | None = None
    archived: bool | None = None


class ChannelMemberIn(In):
    user_id: MsgId


class ChannelMembers(Out):
    members: list[User]


class PostMessage(In):
    body: Body
    nonce: Nonce = ""
    quoted_message_id: MsgId | None = None
    kind: Literal["", "message"] = ""
    upload_id: MsgId | None = None  # attached in the same transaction


class EditMessage(In):
    body: Body


class MessageChanged(Out):
    message: Message
    event: EventOut | None = None


class ThreadPage(Out):
    root: Message
    replies: list[Message]
    thread_state: ThreadState
    oldest_seq: int
    newest_seq: int
    has_older: bool
    has_newer: bool


class ReplyIn(In):
    body: Body
    nonce: Nonce = ""
    quoted_message_id: MsgId | None = None


class ReplyCreated(Out):
    message: Message
    thread_state: ThreadState
    events: list[EventOut] | None


class ReactionIn(In):
    emoji: Annotated[str, Meta(min_length=1, max_length=64)]


class ReactionsOut(Out):
    reactions: list[ReactionSummary]
    event: EventOut | None = None


class PinIn(In):
    message_id: MsgId


class PinnedMessage(Out):
    id: str
    workspace_id: str
    channel_id: str
    message_id: str
    pinned_by: str
    created_at: str


class PinCreated(Out):
    pinned_message: PinnedMessage
    event: EventOut


class PinList(Out):
    messages: list[Message]


class EventOnly(Out):
    event: EventOut


class ReadIn(In):
    seq: Annotated[int, Meta(ge=0, le=2**53 - 1)]


class Receipt(Out):
    scope_id: str
    user_id: str
    last_read_seq: int
    last_read_at: str


class ReceiptOut(Out):
    receipt: Receipt


class DirectConversation(Out):
    id: str
    route_id: str
    workspace_id: str
    created_at: str
    members: list[User]
    can_send: bool
    last_seq: int
    last_read_seq: int
    unread_count: int
    mention_count: int = 0


class DirectConversationOut(Out):
    conversation: DirectConversation


class DirectConversationList(Out):
    conversations: list[DirectConversation]


class CreateDM(In):
    workspace_id: MsgId
    member_ids: Annotated[list[MsgId], Meta(max_length=64)]


class Topic(Out):
    id: str
    workspace_id: str
    name: str
    created_at: str
    channel_id: str | None = None
    created_by: str | None = None
    archived_at: str | None = None


class TopicOut(Out):
    topic: Topic


class TopicList(Out):
    topics: list[Topic]


class CreateTopic(In):
    name: Annotated[str, Meta(min_length=1, max_length=80)]
    channel_id: MsgId | None = None
