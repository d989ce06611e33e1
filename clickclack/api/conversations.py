"""Conversations over HTTP: channels (get, patch/archive, members, join/leave), messages (get,
by nonce, edit, delete), threads, reactions, pins, read pointers and direct messages.
Contract sections 7-13 with D2 and D6."""

from __future__ import annotations

from typing import Any

from quart import Response

from clickclack.api.http import Ctx, encode, rate_limit
from clickclack.api.messages import _PAGE_QUERY, PAGE_EXCLUSIVE, page_query
from clickclack.api.routing import NONCE_PATTERN, QueryParam, int_param, route, str_param
from clickclack.errors import BadRequest, NotFound, ValidationFailed
from clickclack.store._rows import event_out
from clickclack.store.conversation import PageQuery
from clickclack.store.reactions import MAX_EMOJI_CHARS, PINS_LIMIT_MAX
from clickclack.types import MessageOut, MessagePage, Ok, ThreadState
from clickclack.types.conversations import (
    ChannelMemberIn,
    ChannelMembers,
    ChannelOut,
    ChannelUpdated,
    CreateDM,
    CreateTopic,
    DirectConversationList,
    DirectConversationOut,
    EditMessage,
    EventOnly,
    MessageChanged,
    PatchChannel,
    PinCreated,
    PinIn,
    PinList,
    PinnedMessage,
    PostMessage,
    ReactionIn,
    ReactionsOut,
    ReadIn,
    Receipt,
    ReceiptOut,
    ReplyCreated,
    ReplyIn,
    ThreadPage,
    TopicList,
    TopicOut,
)
from clickclack.types.core import EMOJI_PATTERN

# --- topics -----------------------------------------------------------------------------------


@route("GET", "/api/workspaces/{workspace_id}/topics", summary="Topics (message labels) you "
       "can use in a workspace", auth="user", scope="channels:read", response=TopicList,
       errors=(401, 404), tags=("topics",))
async def list_topics(ctx: Ctx, workspace_id: str) -> TopicList:
    return TopicList(topics=ctx.services.store.list_topics(ctx.me, workspace_id))


@route("POST", "/api/workspaces/{workspace_id}/topics", summary="Create a topic, workspace-wide "
       "or for one channel", auth="user", scope="channels:write", body=CreateTopic,
       response=TopicOut, status=201, errors=(400, 401, 403, 404, 409, 415), tags=("topics",))
async def create_topic(ctx: Ctx, body: CreateTopic, workspace_id: str) -> TopicOut:
    topic = await ctx.services.store.create_topic(ctx.me, workspace_id, body.name,
                                                  body.channel_id)
    return TopicOut(topic=topic)


# --- channels ---------------------------------------------------------------------------------


@route("GET", "/api/channels/{channel_id}", summary="One channel, with the caller's counters",
       auth="user", scope="channels:read", response=ChannelOut, errors=(401, 404),
       tags=("channels",))
async def get_channel(ctx: Ctx, channel_id: str) -> ChannelOut:
    return ChannelOut(channel=ctx.services.store.get_channel(ctx.me, channel_id))


@route("PATCH", "/api/channels/{channel_id}", summary="Rename, retitle, set the purpose or "
       "archive a channel (workspace managers)", auth="user", scope="channels:write",
       body=PatchChannel, response=ChannelUpdated, errors=(400, 401, 403, 404, 409, 415),
       tags=("channels",))
async def patch_channel(ctx: Ctx, body: PatchChannel, channel_id: str) -> ChannelUpdated:
    changes = {k: getattr(body, k) for k in ("name", "display_title", "purpose", "archived")
               if getattr(body, k) is not None}
    channel, event = await ctx.services.store.patch_channel(ctx.me, channel_id, **changes)
    return ChannelUpdated(channel=channel, event=event_out(event) if event else None)


@route("GET", "/api/channels/{channel_id}/members", summary="Members of a channel",
       auth="user", scope="channels:read", response=ChannelMembers, errors=(401, 404),
       tags=("channels",))
async def channel_members(ctx: Ctx, channel_id: str) -> ChannelMembers:
    return ChannelMembers(members=ctx.services.store.channel_members(ctx.me, channel_id))


@route("POST", "/api/channels/{channel_id}/members", summary="Add a workspace member to a "
       "channel (private channels: by invitation of a member)", auth="user",
       scope="channels:write", body=ChannelMemberIn, response=Ok,
       errors=(400, 401, 404, 409, 415), tags=("channels",))
async def add_channel_member(ctx: Ctx, body: ChannelMemberIn, channel_id: str) -> Ok:
    await ctx.services.store.add_channel_member(ctx.me, channel_id, body.user_id)
    return Ok(ok=True)


@route("DELETE", "/api/channels/{channel_id}/members/{user_id}", summary="Remove a member "
       "from a channel (yourself, or anyone for managers); 404 when they are not a member",
       auth="user", scope="channels:write", response=Ok, errors=(401, 403, 404),
       tags=("channels",))
async def remove_channel_member(ctx: Ctx, channel_id: str, user_id: str) -> Ok:
    if not await ctx.services.store.remove_channel_member(ctx.me, channel_id, user_id):
        raise NotFound("that user is not a member of this channel", code="member_not_found")
    return Ok(ok=True)


@route("POST", "/api/channels/{channel_id}/join", summary="Join a public channel",
       auth="user", scope="channels:write", response=Ok, errors=(400, 401, 404),
       tags=("channels",))
async def join_channel(ctx: Ctx, channel_id: str) -> Ok:
    await ctx.services.store.join_channel(ctx.me, channel_id)
    return Ok(ok=True)


@route("POST", "/api/channels/{channel_id}/leave", summary="Leave a channel", auth="user",
       scope="channels:write", response=Ok, errors=(401, 404), tags=("channels",))
async def leave_channel(ctx: Ctx, channel_id: str) -> Ok:
    await ctx.services.store.leave_channel(ctx.me, channel_id)
    return Ok(ok=True)


# --- messages ---------------------------------------------------------------------------------

_NONCE_HEADER = {"X-ClickClack-Message-Nonce": "supported"}


@route("GET", "/api/messages/by-nonce", summary="The caller's message with a client nonce",
       auth="user", scope="messages:write", response=MessageOut, errors=(400, 401, 404, 409),
       tags=("messages",), query=(str_param("workspace_id", required=True, max_length=64),
                                  str_param("nonce", required=True, max_length=128,
                                            pattern=NONCE_PATTERN)))
async def message_by_nonce(ctx: Ctx) -> Response:
    message = ctx.services.store.message_by_nonce(ctx.me, ctx.query["workspace_id"],
                                                  ctx.query["nonce"])
    return encode(MessageOut(message=message), headers=_NONCE_HEADER)


@route("GET", "/api/messages/{message_id}", summary="One message (with reactions)",
       auth="user", scope="messages:read", response=MessageOut, errors=(401, 404),
       tags=("messages",))
async def get_message(ctx: Ctx, message_id: str) -> MessageOut:
    return MessageOut(message=ctx.services.store.get_message(ctx.me, message_id))


@route("PATCH", "/api/messages/{message_id}", summary="Edit your message (re-rendered; "
       "message.updated)", auth="user", scope="messages:write", body=EditMessage,
       response=MessageChanged, errors=(400, 401, 403, 404, 415), tags=("messages",))
async def edit_message(ctx: Ctx, body: EditMessage, message_id: str) -> MessageChanged:
    message, event = await ctx.services.store.edit_message(ctx.me, message_id, body.body)
    return MessageChanged(message=message, event=event_out(event))


@route("DELETE", "/api/messages/{message_id}", summary="Soft-delete a message (author, or the "
       "workspace owner in channels); a second delete is a no-op without an event",
       auth="user", scope="messages:write", response=MessageChanged, errors=(401, 403, 404),
       tags=("messages",))
async def delete_message(ctx: Ctx, message_id: str) -> MessageChanged:
    message, events = await ctx.services.store.delete_message(ctx.me, message_id)
    return MessageChanged(message=message, event=event_out(events[-1]) if events else None)


# --- threads ----------------------------------------------------------------------------------

_THREAD_ONE_OF = "at most one of before_seq, after_seq, around_seq and latest (400 otherwise)"
_THREAD_QUERY = (*[QueryParam(q.name, q.schema, q.required, q.description.replace(
                     "mode (400", "latest (400")) for q in _PAGE_QUERY if q.name != "mode"],
                 QueryParam("latest", {"type": "boolean"},
                            description="true: the newest replies; false: the oldest; "
                            + _THREAD_ONE_OF))


@route("GET", "/api/messages/{message_id}/thread", summary="A thread: the root and a page of "
       "replies over thread_seq (ascending)", auth="user", scope="threads:read",
       response=ThreadPage, query=_THREAD_QUERY, errors=(400, 401, 404), tags=("threads",),
       exclusive=(("before_seq", "after_seq", "around_seq", "latest"),))
async def get_thread(ctx: Ctx, message_id: str) -> ThreadPage:
    q = dict(ctx.query)
    latest = q.pop("latest", None)
    if latest is not None and any(q.get(k) is not None for k in
                                  ("before_seq", "after_seq", "around_seq")):
        raise ValidationFailed("latest cannot be combined with a cursor",
                               [{"loc": ["query", "latest"], "msg": "mutually exclusive"}])
    query = page_query(q)
    if latest is False and query.mode == "latest":
        query = PageQuery("after", 0, query.limit)  # oldest first window
    root, page = ctx.services.store.thread_page(ctx.me, message_id, query)
    state = root.thread_state or ThreadState(root_message_id=root.id, reply_count=0,
                                             last_reply_author_ids=[])
    return ThreadPage(root=root, replies=page.messages, thread_state=state,
                      oldest_seq=page.oldest_seq, newest_seq=page.newest_seq,
                      has_older=page.has_older, has_newer=page.has_newer)


@route("POST", "/api/messages/{message_id}/thread/replies", summary="Reply in a thread (one "
       "level only); a nonce replay answers 200 with events null", auth="user",
       scope="threads:write", body=ReplyIn, response=ReplyCreated,
       extra_responses={200: ReplyCreated}, status=201,
       errors=(400, 401, 403, 404, 409, 415, 429), tags=("threads",))
async def reply(ctx: Ctx, body: ReplyIn, message_id: str) -> Any:
    rate_limit(ctx, "messages", ctx.user_id)
    store = ctx.services.store
    message, events = await store.reply(ctx.me, message_id, body.body, body.nonce,
                                        body.quoted_message_id, ctx.correlation_id)
    root = store.get_message(ctx.me, message_id)
    state = root.thread_state or ThreadState(root_message_id=message_id, reply_count=0,
                                             last_reply_author_ids=[])
    if not events:
        return ReplyCreated(message=message, thread_state=state, events=None), 200
    return ReplyCreated(message=message, thread_state=state,
                        events=[event_out(e) for e in events]), 201


# --- reactions --------------------------------------------------------------------------------


@route("POST", "/api/messages/{message_id}/reactions", summary="React (201 when added, 200 "
       "when it already existed)", auth="user", scope="messages:write", body=ReactionIn,
       response=ReactionsOut, status=201, extra_responses={200: ReactionsOut},
       errors=(400, 401, 404, 409, 415), tags=("reactions",))
async def add_reaction(ctx: Ctx, body: ReactionIn, message_id: str) -> Any:
    event, summary = await ctx.services.store.add_reaction(ctx.me, message_id, body.emoji)
    out = ReactionsOut(reactions=summary, event=event_out(event) if event else None)
    return (out, 201) if event else (out, 200)


@route("DELETE", "/api/messages/{message_id}/reactions/{emoji}", summary="Remove your "
       "reaction (200 also when it was not there)", auth="user", scope="messages:write",
       response=ReactionsOut, errors=(400, 401, 404), tags=("reactions",),
       path_schemas={"emoji": {"type": "string", "minLength": 1, "maxLength": MAX_EMOJI_CHARS,
                               "pattern": EMOJI_PATTERN}})
async def remove_reaction(ctx: Ctx, message_id: str, emoji: str) -> ReactionsOut:
    # The path arrives decoded once (percent-encode the emoji once, as for any path segment).
    if len(emoji) > MAX_EMOJI_CHARS:  # before trimming, as the description counts
        raise BadRequest(f"emoji must be at most {MAX_EMOJI_CHARS} characters",
                         code="emoji_too_long")
    event, summary = await ctx.services.store.remove_reaction(ctx.me, message_id, emoji)
    return ReactionsOut(reactions=summary, event=event_out(event) if event else None)


# --- pins -------------------------------------------------------------------------------------


@route("GET", "/api/channels/{channel_id}/pins", summary="Pinned messages, newest pin first",
       auth="user", scope="messages:read", response=PinList, errors=(400, 401, 404),
       tags=("pins",), query=(int_param("limit", 1, PINS_LIMIT_MAX, PINS_LIMIT_MAX),))
async def list_pins(ctx: Ctx, channel_id: str) -> PinList:
    return PinList(messages=ctx.services.store.pins(ctx.me, channel_id, ctx.query["limit"]))


@route("POST", "/api/channels/{channel_id}/pins", summary="Pin a message (at most 100 per "
       "channel; 409 when already pinned)", auth="user", scope="messages:write", body=PinIn,
       response=PinCreated, status=201, errors=(400, 401, 404, 409, 415), tags=("pins",))
async def pin(ctx: Ctx, body: PinIn, channel_id: str) -> PinCreated:
    pinned, event = await ctx.services.store.pin(ctx.me, channel_id, body.message_id)
    return PinCreated(pinned_message=PinnedMessage(**pinned), event=event_out(event))


@route("DELETE", "/api/channels/{channel_id}/pins/{message_id}", summary="Unpin a message",
       auth="user", scope="messages:write", response=EventOnly, errors=(401, 404),
       tags=("pins",))
async def unpin(ctx: Ctx, channel_id: str, message_id: str) -> EventOnly:
    event = await ctx.services.store.unpin(ctx.me, channel_id, message_id)
    return EventOnly(event=event_out(event))


# --- read pointers ----------------------------------------------------------------------------


@route("POST", "/api/channels/{channel_id}/read", summary="Move your read pointer forward "
       "(capped at the last root; channel.read to you alone)", auth="user",
       scope="messages:read", body=ReadIn, response=ReceiptOut, errors=(400, 401, 404, 415),
       tags=("read-state",))
async def read_channel(ctx: Ctx, body: ReadIn, channel_id: str) -> ReceiptOut:
    receipt, _ = await ctx.services.store.mark_read(ctx.me, body.seq, channel_id=channel_id)
    return ReceiptOut(receipt=Receipt(**receipt))


@route("POST", "/api/dms/{conversation_id}/read", summary="Move your DM read pointer forward",
       auth="user", scope="dms:read", body=ReadIn, response=ReceiptOut,
       errors=(400, 401, 404, 415), tags=("read-state",))
async def read_dm(ctx: Ctx, body: ReadIn, conversation_id: str) -> ReceiptOut:
    receipt, _ = await ctx.services.store.mark_read(ctx.me, body.seq, dm_id=conversation_id)
    return ReceiptOut(receipt=Receipt(**receipt))


# --- direct messages --------------------------------------------------------------------------


@route("GET", "/api/dms", summary="Your open direct conversations in a workspace", auth="user",
       scope="dms:read", response=DirectConversationList, errors=(400, 401, 404),
       tags=("dms",), query=(str_param("workspace_id", required=True, max_length=64),))
async def list_dms(ctx: Ctx) -> DirectConversationList:
    return DirectConversationList(
        conversations=ctx.services.store.list_dms(ctx.me, ctx.query["workspace_id"]))


@route("POST", "/api/dms", summary="Open a 1:1 (de-duplicated) or group conversation "
       "(2-32 members; no event)", auth="user", scope="dms:write", body=CreateDM,
       response=DirectConversationOut, status=201, errors=(400, 401, 403, 404, 415),
       tags=("dms",))
async def create_dm(ctx: Ctx, body: CreateDM) -> DirectConversationOut:
    conv = await ctx.services.store.create_dm(ctx.me, body.workspace_id, body.member_ids)
    return DirectConversationOut(conversation=conv)


@route("GET", "/api/dms/{conversation_id}", summary="One direct conversation", auth="user",
       scope="dms:read", response=DirectConversationOut, errors=(401, 404), tags=("dms",))
async def get_dm(ctx: Ctx, conversation_id: str) -> DirectConversationOut:
    return DirectConversationOut(conversation=ctx.services.store.get_dm(ctx.me,
                                                                         conversation_id))


@route("DELETE", "/api/dms/{conversation_id}", summary="Close (hide) a conversation for you",
       auth="human", response=Ok, errors=(401, 403, 404), tags=("dms",))
async def close_dm(ctx: Ctx, conversation_id: str) -> Ok:
    await ctx.services.store.set_dm_hidden(ctx.me, conversation_id, True)
    return Ok(ok=True)


@route("POST", "/api/dms/{conversation_id}/open", summary="Reopen a closed conversation",
       auth="human", response=DirectConversationOut, errors=(401, 403, 404), tags=("dms",))
async def open_dm(ctx: Ctx, conversation_id: str) -> DirectConversationOut:
    conv = await ctx.services.store.set_dm_hidden(ctx.me, conversation_id, False)
    return DirectConversationOut(conversation=conv)


@route("GET", "/api/dms/{conversation_id}/messages", summary="A page of DM roots (ascending)",
       auth="user", scope="dms:read", response=MessagePage, query=_PAGE_QUERY,
       exclusive=PAGE_EXCLUSIVE, errors=(400, 401, 404), tags=("dms",))
async def list_dm_messages(ctx: Ctx, conversation_id: str) -> MessagePage:
    return ctx.services.store.dm_page(ctx.me, conversation_id, page_query(ctx.query))


@route("POST", "/api/dms/{conversation_id}/messages", summary="Send a DM (idempotent by nonce; "
       "409 when no other member is left)", auth="user", scope="dms:write", body=PostMessage,
       response=MessageChanged, status=201, extra_responses={200: MessageChanged},
       errors=(400, 401, 403, 404, 409, 415, 429), tags=("dms",))
async def post_dm(ctx: Ctx, body: PostMessage, conversation_id: str) -> Any:
    rate_limit(ctx, "messages", ctx.user_id)
    if body.upload_id is not None:  # with an attachment, in the same transaction
        message, events = await ctx.services.store.post_dm_with_upload(
            ctx.me, conversation_id, body.body, body.nonce, body.quoted_message_id,
            ctx.correlation_id, body.upload_id)
    else:
        message, events = await ctx.services.store.post_dm(
            ctx.me, conversation_id, body.body, body.nonce, body.quoted_message_id,
            ctx.correlation_id)
    if not events:
        return MessageChanged(message=message), 200
    return MessageChanged(message=message, event=event_out(events[0])), 201
