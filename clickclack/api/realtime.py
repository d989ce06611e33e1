"""Realtime over HTTP: the event log pull (14.4), ephemeral events (14.3) and the websocket
(14.5)."""

from __future__ import annotations

import re
import time
from typing import Any

import trio
from quart import Quart, websocket

from clickclack.api import auth
from clickclack.api.http import Ctx, rate_limit
from clickclack.api.problems import from_error
from clickclack.api.routing import QueryParam, int_param, route, str_param
from clickclack.errors import BadRequest, ClickclackError, Forbidden, NotFound
from clickclack.events import make_event
from clickclack.ids import now_ts
from clickclack.realtime import run_session
from clickclack.services import Services
from clickclack.store._rows import event_out
from clickclack.types import EphemeralIn, EphemeralOut, EventPage

CURSOR_PATTERN = r"^(cur_[0-9a-z]{26})?$"  # empty: from the start
_CURSOR_RE = re.compile(CURSOR_PATTERN)
EVENTS_LIMIT_MAX = 500
EVENTS_LIMIT_DEFAULT = 200
MAX_EPHEMERAL_PAYLOAD_KEYS = 32


def _check_cursor(value: str | None) -> str:
    if not value:
        return ""
    if not _CURSOR_RE.match(value):
        raise BadRequest("after_cursor is not a cursor", code="invalid_cursor")
    return value


@route("GET", "/api/realtime/events", summary="Durable events after a cursor (pull and replay)",
       auth="user", scope="realtime:read", response=EventPage, errors=(400, 401, 404),
       tags=("realtime",),
       query=(
           str_param("workspace_id", required=True, max_length=64),
           str_param("after_cursor", max_length=30, pattern=CURSOR_PATTERN),
           int_param("limit", 1, EVENTS_LIMIT_MAX, EVENTS_LIMIT_DEFAULT),
           QueryParam("include_tail", {"type": "boolean", "default": False}),
       ))
async def list_events(ctx: Ctx) -> EventPage:
    store = ctx.services.store
    ws_id = ctx.query["workspace_id"]
    guest = store.member_role(ctx.me, ws_id) == "guest"
    after = _check_cursor(ctx.query["after_cursor"])
    # The tail is read *before* the page, so tail_cursor never points past what a client that
    # pages to the end has seen.
    tail = store.tail_cursor(ws_id, ctx.user_id, guest) if ctx.query["include_tail"] else None
    events = store.events_after(ws_id, ctx.user_id, after, ctx.query["limit"], is_guest=guest)
    return EventPage(events=[event_out(e) for e in events], tail_cursor=tail)


@route("POST", "/api/realtime/ephemeral", summary="Publish a typing/presence/progress event "
       "(never stored)", auth="user", scope="messages:write", body=EphemeralIn,
       response=EphemeralOut, status=202,
       errors=(400, 401, 403, 404, 415, 429), tags=("realtime",))
async def ephemeral(ctx: Ctx, body: EphemeralIn) -> EphemeralOut:
    rate_limit(ctx, "ephemeral", ctx.user_id)  # per user (--rate-ephemeral)
    store = ctx.services.store
    store.member_role(ctx.me, body.workspace_id)
    if body.type == "agent.progress" and not ctx.me.is_bot:
        raise Forbidden("agent.progress is for bot tokens only", code="bot_only")
    if body.channel_id and body.direct_conversation_id:
        raise BadRequest("give channel_id or direct_conversation_id, not both",
                         code="ephemeral_target")
    if body.type != "presence.changed" and not (body.channel_id or body.direct_conversation_id):
        raise BadRequest(f"{body.type} needs a channel_id or direct_conversation_id",
                         code="ephemeral_target")
    recipients = None  # public channel or workspace-wide: everyone who may see it
    if body.direct_conversation_id:
        if ctx.me.is_bot and "dms:write" not in (ctx.me.scopes or ()):
            raise Forbidden("bot token lacks the dms:write scope", code="missing_scope")
        scope = store.conversation_scope(ctx.me, dm_id=body.direct_conversation_id)
        if scope.workspace_id != body.workspace_id:
            raise NotFound("conversation not found", code="dm_not_found")
        recipients = scope.recipients
    elif body.channel_id:
        scope = store.conversation_scope(ctx.me, channel_id=body.channel_id)
        if scope.workspace_id != body.workspace_id:
            raise NotFound("channel not found", code="channel_not_found")
        recipients = scope.recipients  # members only, for a private channel
    # Posting rights (6): blocked or timed out -> 403; guests only in #guest, within budget.
    target = store.require_can_write(ctx.me, body.workspace_id, body.channel_id)
    payload: dict[str, Any] = dict(body.payload or {})
    if len(payload) > MAX_EPHEMERAL_PAYLOAD_KEYS:
        raise BadRequest(f"payload may have at most {MAX_EPHEMERAL_PAYLOAD_KEYS} keys",
                         code="payload_too_large")
    payload.pop("direct_conversation_id", None)
    payload.pop("channel_id", None)
    payload["user_id"] = ctx.user_id
    if body.channel_id:
        payload["channel_id"] = body.channel_id
    elif body.direct_conversation_id:
        payload["direct_conversation_id"] = body.direct_conversation_id
    ns = time.time_ns()
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(ns // 1_000_000_000))
    event = make_event(
        id=f"eph_{stamp}.{ns % 1_000_000_000:09d}", cursor="", type=body.type,
        workspace_id=body.workspace_id, created_at=now_ts(), payload=payload,
        channel_id=body.channel_id, guest_visible=target.channel_name in (None, "guest"),
        recipients=recipients,
    )
    ctx.services.hub.publish_ephemeral(event)
    return EphemeralOut(event=event_out(event))


@route("GET", "/api/realtime/ws", summary="Websocket feed (upgrade). Auth: bearer header, "
       "subprotocol clickclack.bearer.<token>, or cookie (Origin checked). Close codes: 4001 "
       "resync, 1008 access revoked, 1013 try again, 1001 shutting down.", auth="user",
       scope="realtime:read",
       response=None, status=101, errors=(400, 401, 403, 404), tags=("realtime",),
       query=(
           str_param("workspace_id", required=True, min_length=1, max_length=64),
           str_param("after_cursor", max_length=30, pattern=CURSOR_PATTERN),
           # The RFC 6455 opening handshake; without it the answer is 400 upgrade_required.
           QueryParam("Upgrade", {"type": "string", "enum": ["websocket"]}, True,
                      location="header"),
           QueryParam("Connection", {"type": "string", "enum": ["Upgrade"]}, True,
                      location="header"),
           QueryParam("Sec-WebSocket-Version", {"type": "string", "enum": ["13"]}, True,
                      location="header"),
           QueryParam("Sec-WebSocket-Key", {"type": "string"}, True,
                      "RFC 6455 asks for base64 of 16 random bytes; any value is accepted",
                      location="header"),
       ))
async def _ws_doc(ctx: Ctx) -> None:  # documentation only; the websocket route is below
    raise BadRequest("this endpoint needs a websocket upgrade", code="upgrade_required")


def install_websocket(app: Quart, services: Services) -> None:
    @app.websocket("/api/realtime/ws")
    async def realtime_ws() -> Any:
        headers = websocket.headers
        bearer = None
        chosen = None
        for proto in websocket.requested_subprotocols:
            if proto.startswith(auth.BEARER_SUBPROTOCOL):
                bearer = proto[len(auth.BEARER_SUBPROTOCOL):]
                chosen = proto
                break
        try:
            actor = auth.resolve(services, "GET", websocket.remote_addr, headers, bearer=bearer)
            auth.authorize(actor, "user", "realtime:read")
            if actor.via in ("cookie", "dev") and not auth.same_origin(
                headers, services.config.public_url
            ):
                raise Forbidden("websocket origin not allowed", code="bad_origin")
            ws_id = websocket.args.get("workspace_id", "")
            if not ws_id:
                raise BadRequest("workspace_id is required", code="workspace_required")
            after = _check_cursor(websocket.args.get("after_cursor"))
            role = services.store.member_role(actor, ws_id)
        except ClickclackError as exc:
            return from_error(exc)  # before accept(): an HTTP error response, not a socket

        await websocket.accept(subprotocol=chosen)

        def still_allowed() -> bool:
            store = services.store
            return store.credential_alive(actor) and store.is_member(actor, ws_id)

        async def discard_input() -> None:
            # Output-only socket: read and drop client frames, so the receive queue never fills
            # and a client's close is noticed.
            while True:
                await websocket.receive()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(discard_input)
            closing = await run_session(
                store=services.store, hub=services.hub, workspace_id=ws_id,
                user_id=actor.user_id, after_cursor=after or None,
                replay_limit=services.config.replay_limit, send=websocket.send,
                credential=actor.session_id or actor.token_id, is_guest=role == "guest",
                still_allowed=still_allowed,
            )
            nursery.cancel_scope.cancel()
        await websocket.close(closing.code, closing.reason)
        return None
