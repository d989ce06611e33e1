"""Bots and bot tokens (contract 17.4).  Every route needs a human session: bot tokens get 403
``human_only``.

Revoking a token, removing a bot from a workspace or deleting a bot closes that bot's open
websockets with 1008 as soon as the write has committed (the sessions' 30 s credential recheck
is only the backstop).
"""

from __future__ import annotations

import quart

from clickclack.api.http import Ctx
from clickclack.api.routing import route
from clickclack.realtime.hub import CLOSE_POLICY
from clickclack.services import Services
from clickclack.store.bots import BotIssued, BotRemoval
from clickclack.types.bots import (
    BotCreated,
    BotList,
    BotTokenList,
    BotTokenOut,
    CreateBot,
    CreateBotToken,
    DeletedBotOut,
    MyBotList,
)

_TAGS = ("bots",)


def _close_removed(services: Services, removal: BotRemoval, reason: str) -> None:
    hub = services.hub
    for token_id in removal.revoked_token_ids:
        hub.close_credential(token_id, code=CLOSE_POLICY, reason=reason)
    for workspace_id in removal.workspace_ids:
        hub.close_workspace_user(workspace_id, removal.bot_user_id, code=CLOSE_POLICY,
                                 reason=reason)


def _issued(services: Services, issued: BotIssued) -> None:
    if issued.replayed and issued.token is not None:
        # The token row's old secret no longer works: drop sockets opened with it.
        services.hub.close_credential(issued.token.id, code=CLOSE_POLICY,
                                      reason="bot token replaced")


@route("GET", "/api/workspaces/{workspace_id}/bots", summary="Bots in a workspace, with their "
       "tokens (redacted)", auth="human", response=BotList, errors=(401, 403, 404), tags=_TAGS)
async def list_bots(ctx: Ctx, workspace_id: str) -> BotList:
    return BotList(bots=ctx.services.store.list_bots(ctx.me, workspace_id))


@route("POST", "/api/workspaces/{workspace_id}/bots", summary="Create a bot (service bot: a "
       "manager; user-owned bot: owner_user_id must be the caller).  The raw ccb_ token is "
       "returned only here.  setup_nonce makes retries safe", auth="human", body=CreateBot,
       response=BotCreated, status=201, errors=(400, 401, 403, 404, 409, 415), tags=_TAGS)
async def create_bot(ctx: Ctx, body: CreateBot, workspace_id: str) -> BotCreated:
    issued = await ctx.services.store.create_bot(ctx.me, workspace_id, body)
    _issued(ctx.services, issued)
    return BotCreated(bot=issued.bot, bot_token=issued.token)


@route("DELETE", "/api/workspaces/{workspace_id}/bots/{bot_user_id}/membership",
       summary="Remove a bot from the workspace and revoke its tokens there (manager)",
       auth="human", response=None, status=204, errors=(401, 403, 404), tags=_TAGS)
async def remove_bot_membership(ctx: Ctx, workspace_id: str, bot_user_id: str
                                ) -> quart.Response:
    removal = await ctx.services.store.remove_bot_membership(ctx.me, workspace_id, bot_user_id)
    _close_removed(ctx.services, removal, "workspace access revoked")
    return quart.Response(b"", status=204)


@route("GET", "/api/workspaces/{workspace_id}/bots/{bot_user_id}/tokens",
       summary="A bot's tokens in this workspace, newest first (redacted)", auth="human",
       response=BotTokenList, errors=(401, 403, 404), tags=_TAGS)
async def list_bot_tokens(ctx: Ctx, workspace_id: str, bot_user_id: str) -> BotTokenList:
    return BotTokenList(
        bot_tokens=ctx.services.store.list_bot_tokens(ctx.me, workspace_id, bot_user_id))


@route("POST", "/api/workspaces/{workspace_id}/bots/{bot_user_id}/tokens",
       summary="Mint a token for a bot (service bot: a manager; user-owned bot: its owner)",
       auth="human", body=CreateBotToken, response=BotTokenOut, status=201,
       errors=(400, 401, 403, 404, 409, 415), tags=_TAGS)
async def create_bot_token(ctx: Ctx, body: CreateBotToken, workspace_id: str,
                           bot_user_id: str) -> BotTokenOut:
    issued = await ctx.services.store.create_bot_token(ctx.me, workspace_id, bot_user_id, body)
    _issued(ctx.services, issued)
    assert issued.token is not None
    return BotTokenOut(bot_token=issued.token)


@route("GET", "/api/bots/{bot_user_id}/tokens", summary="Legacy: a bot's tokens, when the bot "
       "is in exactly one workspace (else 400)", auth="human", response=BotTokenList,
       errors=(400, 401, 403, 404), tags=_TAGS)
async def legacy_list_bot_tokens(ctx: Ctx, bot_user_id: str) -> BotTokenList:
    store = ctx.services.store
    workspace_id = store.bot_sole_workspace(ctx.me, bot_user_id)
    return BotTokenList(bot_tokens=store.list_bot_tokens(ctx.me, workspace_id, bot_user_id))


@route("POST", "/api/bots/{bot_user_id}/tokens", summary="Legacy: mint a token, when the bot "
       "is in exactly one workspace (else 400)", auth="human", body=CreateBotToken,
       response=BotTokenOut, status=201, errors=(400, 401, 403, 404, 409, 415), tags=_TAGS)
async def legacy_create_bot_token(ctx: Ctx, body: CreateBotToken, bot_user_id: str
                                  ) -> BotTokenOut:
    workspace_id = ctx.services.store.bot_sole_workspace(ctx.me, bot_user_id)
    issued = await ctx.services.store.create_bot_token(ctx.me, workspace_id, bot_user_id, body)
    _issued(ctx.services, issued)
    assert issued.token is not None
    return BotTokenOut(bot_token=issued.token)


@route("POST", "/api/bot-tokens/{token_id}/revoke", summary="Revoke a bot token (service bot: "
       "a manager; user-owned bot: its owner); its sockets close with 1008", auth="human",
       response=BotTokenOut, errors=(401, 403, 404), tags=_TAGS)
async def revoke_bot_token(ctx: Ctx, token_id: str) -> BotTokenOut:
    token = await ctx.services.store.revoke_bot_token(ctx.me, token_id)
    ctx.services.hub.close_credential(token.id, code=CLOSE_POLICY, reason="bot token revoked")
    return BotTokenOut(bot_token=token)


@route("GET", "/api/me/bots", summary="The caller's own (user-owned) bots, per workspace",
       auth="human", response=MyBotList, errors=(401, 403), tags=_TAGS)
async def my_bots(ctx: Ctx) -> MyBotList:
    return MyBotList(bots=ctx.services.store.my_bots(ctx.me))


@route("DELETE", "/api/bots/{bot_user_id}", summary="Retire a bot (user-owned: its owner; "
       "service bot: a manager of every workspace it is in).  History keeps its id",
       auth="human", response=DeletedBotOut, errors=(401, 403, 404), tags=_TAGS)
async def delete_bot(ctx: Ctx, bot_user_id: str) -> DeletedBotOut:
    removal = await ctx.services.store.delete_bot(ctx.me, bot_user_id)
    _close_removed(ctx.services, removal, "bot deleted")
    ctx.services.hub.close_user(bot_user_id, code=CLOSE_POLICY, reason="bot deleted")
    assert removal.deleted is not None
    return DeletedBotOut(deleted_bot=removal.deleted)
