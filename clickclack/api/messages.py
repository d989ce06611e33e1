"""Channel messages: history pages and posting (contract 8.2/8.3, D3)."""

from __future__ import annotations

from typing import Any

from clickclack.api.http import Ctx, rate_limit
from clickclack.api.routing import QueryParam, int_param, route, str_param
from clickclack.errors import ValidationFailed
from clickclack.store import PageQuery
from clickclack.store._rows import event_out
from clickclack.store.messages import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX
from clickclack.types import CreateMessage, MessageCreated, MessagePage

SEQ_MAX = 2**53 - 1

_ONE_OF = "; at most one of before_seq, after_seq, around_seq and mode (400 otherwise)"
_PAGE_QUERY = (
    int_param("before_seq", 0, SEQ_MAX, desc="roots with seq < N (exclusive)" + _ONE_OF),
    int_param("after_seq", 0, SEQ_MAX, desc="roots with seq > N (exclusive)" + _ONE_OF),
    int_param("around_seq", 0, SEQ_MAX, desc="a window centred on seq N" + _ONE_OF),
    QueryParam("mode", {"type": "string", "enum": ["latest"]},
               description="latest (the default without a cursor)" + _ONE_OF),
    int_param("limit", 1, PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT),
)
# x-clickclack-exclusive-query (see RouteSpec.exclusive)
PAGE_EXCLUSIVE = (("before_seq", "after_seq", "around_seq", "mode"),)


def page_query(q: dict[str, Any]) -> PageQuery:
    given = [k for k in ("before_seq", "after_seq", "around_seq") if q.get(k) is not None]
    mode = q.get("mode")
    if mode not in (None, "latest"):
        raise ValidationFailed("mode must be latest", [{"loc": ["query", "mode"], "msg": "latest"}])
    if len(given) > 1 or (given and mode):
        raise ValidationFailed(
            "use at most one of before_seq, after_seq, around_seq, mode",
            [{"loc": ["query", given[-1] if given else "mode"], "msg": "mutually exclusive"}])
    limit = q.get("limit") or PAGE_LIMIT_DEFAULT
    topic = q.get("topic_id")
    if topic == "":
        raise ValidationFailed("topic_id must not be empty",
                               [{"loc": ["query", "topic_id"], "msg": "not empty"}])
    if not given:
        return PageQuery("latest", 0, limit, topic)
    key = given[0]
    return PageQuery(key.removesuffix("_seq"), int(q[key]), limit, topic)


@route("GET", "/api/channels/{channel_id}/messages", summary="A page of root messages "
       "(ascending)", auth="user", scope="messages:read", response=MessagePage,
       query=(*_PAGE_QUERY, str_param("topic_id", min_length=1, max_length=64,
                                      desc="only messages labelled with this topic")),
       exclusive=PAGE_EXCLUSIVE, errors=(400, 401, 404), tags=("messages",))
async def list_messages(ctx: Ctx, channel_id: str) -> MessagePage:
    return ctx.services.store.message_page(ctx.me, channel_id, page_query(ctx.query))


@route("POST", "/api/channels/{channel_id}/messages", summary="Post a message (idempotent by "
       "nonce: a replay answers 200 with no event)", auth="user", scope="messages:write",
       body=CreateMessage,
       response=MessageCreated, status=201, extra_responses={200: MessageCreated},
       errors=(400, 401, 403, 404, 409, 413, 415, 429, 503, 507), tags=("messages",))
async def post_message(ctx: Ctx, body: CreateMessage, channel_id: str) -> Any:
    rate_limit(ctx, "messages", ctx.user_id)  # per user (--rate-messages)
    if body.upload_id is not None:  # with an attachment, in the same transaction
        message, event = await ctx.services.store.post_message_with_upload(
            ctx.me, channel_id, body.body, body.nonce, ctx.correlation_id,
            body.quoted_message_id, body.topic_id, body.upload_id)
    else:
        message, event = await ctx.services.store.post_message(
            ctx.me, channel_id, body.body, body.nonce, ctx.correlation_id,
            body.quoted_message_id, body.topic_id)
    if event is None:
        return MessageCreated(message=message), 200
    return MessageCreated(message=message, event=event_out(event)), 201
