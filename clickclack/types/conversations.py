"""Wire types for conversations: channels beyond the basics, threads, reactions, pins, read
pointers and direct messages (contract sections 7-13)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from clickclack.types.core import (
    EMOJI_PATTERN,
    NAME_MAX_CHARS,
    NOT_BLANK,
    NWS,
    SLUGGABLE,
    WS,
    Channel,
    EventOut,
    In,
    Message,
    Nonce,
    Out,
    ReactionSummary,
    ThreadState,
    User,
    checked,
)

Body = Annotated[str, Meta(max_length=40_000), checked(pattern=NOT_BLANK)]  # trimmed, not empty
MsgId = Annotated[str, Meta(min_length=1, max_length=64)]


class ChannelOut(Out):
    channel: Channel


class ChannelUpdated(Out):
    channel: Channel
    event: EventOut | None = None


class PatchChannel(In):
    """Any subset; null counts as absent, a blank name is ignored, and a patch that changes
    nothing answers 200 with the channel and no event."""

    # blank, or something that slugifies to a non-empty name
    name: Annotated[str, checked(maxLength=NAME_MAX_CHARS,
                                 pattern=f"^{WS}*$|{SLUGGABLE}")] | None = None
    display_title: Annotated[str, Meta(max_length=200)] | None = None
    # one line once trimmed (no newline between the first and last non-blank character)
    purpose: Annotated[str, Meta(max_length=280), checked(pattern=(
        f"^{WS}*({NWS}([^\\n]*{NWS})?)?{WS}*$"))] | None = None
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
    # trimmed: no whitespace or control/format characters inside (ZWJ allowed)
    emoji: Annotated[str, Meta(min_length=1, max_length=64), checked(pattern=EMOJI_PATTERN)]


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
    """``member_ids``: the other members (the caller is added, duplicates count once), at most
    31 ids so the conversation has at most 32 members.  Ids that are not workspace members
    (or are guests), or a list of only the caller, answer 400 (contract 13)."""

    workspace_id: MsgId
    member_ids: Annotated[list[MsgId], checked(minItems=1, maxItems=31)]


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
