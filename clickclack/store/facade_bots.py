"""Store methods for bots, bot tokens and moderation.

Methods here call ``self._read(fn, *args)`` (short read on the read connection),
``await self._read_long(fn, *args)`` (long read, off the loop, time-limited) or
``await self._write(fn, *args)`` (the single writer's transaction) with plain functions of
``(conn_or_tx, ...)`` defined in the matching SQL module.  No SQL in this file.
"""

from __future__ import annotations

from clickclack.actor import Actor
from clickclack.ids import now_ts
from clickclack.store import access, bots, moderation
from clickclack.store._base import StoreBase
from clickclack.store.access import WriteTarget
from clickclack.store.bots import BotIssued, BotRemoval
from clickclack.store.moderation import ModerationResult
from clickclack.types.bots import (
    BotToken,
    BotWithTokens,
    CreateBot,
    CreateBotToken,
    MemberModeration,
    ModerationPatch,
    MyBot,
)


class BotsFacade(StoreBase):
    # --- posting rights ---------------------------------------------------------------------
    def require_can_write(self, actor: Actor, workspace_id: str, channel_id: str | None = None,
                          *, budget: bool = True) -> WriteTarget:
        """Posting rights (contract 6) for a write aimed at the workspace or one of its
        channels: NotFound, Forbidden (moderation_restriction) or RateLimited (guest budget)."""
        return self._read(access.write_target, actor, workspace_id, channel_id, budget)

    # --- bots -------------------------------------------------------------------------------
    def list_bots(self, actor: Actor, workspace_id: str) -> list[BotWithTokens]:
        return self._read(bots.list_bots, actor, workspace_id)

    async def create_bot(self, actor: Actor, workspace_id: str, req: CreateBot) -> BotIssued:
        return await self._write(bots.create_bot, actor, workspace_id, req)

    async def remove_bot_membership(self, actor: Actor, workspace_id: str, bot_user_id: str
                                    ) -> BotRemoval:
        return await self._write(bots.remove_membership, actor, workspace_id, bot_user_id)

    def list_bot_tokens(self, actor: Actor, workspace_id: str, bot_user_id: str
                        ) -> list[BotToken]:
        return self._read(bots.list_tokens, actor, workspace_id, bot_user_id)

    async def create_bot_token(self, actor: Actor, workspace_id: str, bot_user_id: str,
                               req: CreateBotToken) -> BotIssued:
        return await self._write(bots.create_token, actor, workspace_id, bot_user_id, req)

    def bot_sole_workspace(self, actor: Actor, bot_user_id: str) -> str:
        return self._read(bots.sole_workspace, actor, bot_user_id)

    async def revoke_bot_token(self, actor: Actor, token_id: str) -> BotToken:
        return await self._write(bots.revoke_token, actor, token_id)

    def my_bots(self, actor: Actor) -> list[MyBot]:
        return self._read(bots.my_bots, actor)

    async def delete_bot(self, actor: Actor, bot_user_id: str) -> BotRemoval:
        return await self._write(bots.delete_bot, actor, bot_user_id)

    # --- moderation -------------------------------------------------------------------------
    def moderation_members(self, actor: Actor, workspace_id: str) -> list[MemberModeration]:
        return self._read(moderation.list_members, actor, workspace_id, now_ts())

    async def moderate_member(self, actor: Actor, workspace_id: str, user_id: str,
                              patch: ModerationPatch) -> ModerationResult:
        return await self._write(moderation.patch_member, actor, workspace_id, user_id, patch)
