"""Store methods for conversations: channels beyond the basics, messages, threads, reactions,
pins, read pointers and direct messages.  No SQL here: the functions live in
``store/conversation.py``, ``channels.py``, ``reactions.py``, ``reads.py`` and ``dms.py``."""

from __future__ import annotations

from functools import partial
from typing import Any

from clickclack.actor import Actor
from clickclack.events import Event
from clickclack.store import channels, conversation, dms, reactions, reads, topics
from clickclack.store._base import StoreBase
from clickclack.store.conversation import PageQuery
from clickclack.store.scopes import Scope, channel_scope, dm_scope
from clickclack.types import Channel, Message, MessagePage, ReactionSummary, User
from clickclack.types.conversations import DirectConversation, Topic


class ConversationsFacade(StoreBase):
    def conversation_scope(self, actor: Actor, *, channel_id: str | None = None,
                           dm_id: str | None = None) -> Scope:
        """Where an ephemeral event goes: the channel's or DM's audience (404 if not visible)."""
        if dm_id is not None:
            return self._read(dm_scope, actor, dm_id)
        assert channel_id is not None
        return self._read(channel_scope, actor, channel_id)

    # --- topics ---------------------------------------------------------------------------
    def list_topics(self, actor: Actor, workspace_id: str) -> list[Topic]:
        return self._read(topics.list_topics, actor, workspace_id)

    async def create_topic(self, actor: Actor, workspace_id: str, name: str,
                           channel_id: str | None) -> Topic:
        return await self._write(topics.create_topic, actor, workspace_id, name, channel_id)

    # --- channels -------------------------------------------------------------------------
    def get_channel(self, actor: Actor, channel_id: str) -> Channel:
        return self._read(channels.channel_view, actor, channel_id)

    async def patch_channel(self, actor: Actor, channel_id: str, **changes: Any
                            ) -> tuple[Channel, Event | None]:
        return await self._write(_patch_channel, actor, channel_id, changes)

    def channel_members(self, actor: Actor, channel_id: str) -> list[User]:
        return self._read(channels.list_members, actor, channel_id)

    async def add_channel_member(self, actor: Actor, channel_id: str, user_id: str
                                 ) -> tuple[bool, Event | None]:
        return await self._write(channels.add_member, actor, channel_id, user_id)

    async def remove_channel_member(self, actor: Actor, channel_id: str, user_id: str) -> bool:
        return await self._write(channels.remove_member, actor, channel_id, user_id)

    async def join_channel(self, actor: Actor, channel_id: str) -> bool:
        return await self._write(channels.join, actor, channel_id)

    async def leave_channel(self, actor: Actor, channel_id: str) -> bool:
        return await self._write(channels.leave, actor, channel_id)

    # --- messages ---------------------------------------------------------------------------
    def get_message(self, actor: Actor, message_id: str) -> Message:
        return self._read(conversation.get_message, actor, message_id)

    def message_by_nonce(self, actor: Actor, workspace_id: str, nonce: str) -> Message:
        return self._read(conversation.by_nonce, actor, workspace_id, nonce)

    async def edit_message(self, actor: Actor, message_id: str, body: str
                           ) -> tuple[Message, Event]:
        return await self._write(conversation.edit, actor, message_id, body)

    async def delete_message(self, actor: Actor, message_id: str
                             ) -> tuple[Message, list[Event]]:
        return await self._write(conversation.delete, actor, message_id)

    # --- threads ----------------------------------------------------------------------------
    def thread_page(self, actor: Actor, root_id: str, query: PageQuery
                    ) -> tuple[Message, MessagePage]:
        return self._read(_thread_page, actor, root_id, query)

    async def reply(self, actor: Actor, root_id: str, body: str, nonce: str = "",
                    quoted_message_id: str | None = None, correlation_id: str | None = None
                    ) -> tuple[Message, list[Event]]:
        return await self._write(conversation.reply, actor, root_id, body, nonce,
                                 quoted_message_id, correlation_id)

    # --- reactions and pins -----------------------------------------------------------------
    async def add_reaction(self, actor: Actor, message_id: str, emoji: str
                           ) -> tuple[Event | None, list[ReactionSummary]]:
        return await self._write(reactions.add_reaction, actor, message_id, emoji)

    async def remove_reaction(self, actor: Actor, message_id: str, emoji: str
                              ) -> tuple[Event | None, list[ReactionSummary]]:
        return await self._write(reactions.remove_reaction, actor, message_id, emoji)

    def pins(self, actor: Actor, channel_id: str, limit: int) -> list[Message]:
        return self._read(reactions.list_pins, actor, channel_id, limit)

    async def pin(self, actor: Actor, channel_id: str, message_id: str
                  ) -> tuple[dict[str, str], Event]:
        return await self._write(reactions.pin, actor, channel_id, message_id)

    async def unpin(self, actor: Actor, channel_id: str, message_id: str) -> Event:
        return await self._write(reactions.unpin, actor, channel_id, message_id)

    # --- read pointers ----------------------------------------------------------------------
    async def mark_read(self, actor: Actor, seq: int, *, channel_id: str | None = None,
                        dm_id: str | None = None) -> tuple[dict[str, Any], Event | None]:
        return await self._write(partial(reads.mark_read, channel_id=channel_id, dm_id=dm_id),
                                 actor, seq)

    # --- direct messages --------------------------------------------------------------------
    def list_dms(self, actor: Actor, workspace_id: str) -> list[DirectConversation]:
        return self._read(dms.list_dms, actor, workspace_id)

    def get_dm(self, actor: Actor, dm_id: str) -> DirectConversation:
        return self._read(dms.get_dm, actor, dm_id)

    async def create_dm(self, actor: Actor, workspace_id: str, member_ids: list[str]
                        ) -> DirectConversation:
        return await self._write(dms.create_dm, actor, workspace_id, member_ids)

    async def set_dm_hidden(self, actor: Actor, dm_id: str, hidden: bool
                            ) -> DirectConversation:
        return await self._write(dms.set_hidden, actor, dm_id, hidden)

    def dm_page(self, actor: Actor, dm_id: str, query: PageQuery) -> MessagePage:
        return self._read(_dm_page, actor, dm_id, query)

    async def post_dm(self, actor: Actor, dm_id: str, body: str, nonce: str = "",
                      quoted_message_id: str | None = None, correlation_id: str | None = None
                      ) -> tuple[Message, list[Event]]:
        return await self._write(_post_dm, actor, dm_id, body, nonce, quoted_message_id,
                                 correlation_id)

    def channel_page(self, actor: Actor, channel_id: str, query: PageQuery) -> MessagePage:
        return self._read(_channel_page, actor, channel_id, query)


def _patch_channel(tx: Any, actor: Actor, channel_id: str, changes: dict[str, Any]
                   ) -> tuple[Channel, Event | None]:
    return channels.patch_channel(tx, actor, channel_id, **changes)


def _thread_page(conn: Any, actor: Actor, root_id: str, query: PageQuery
                 ) -> tuple[Message, MessagePage]:
    _, scope = conversation.thread_root(conn, actor, root_id)
    return (conversation.load(conn, actor.user_id, root_id),
            conversation.page(conn, actor, scope, query, root_id=root_id))


def _dm_page(conn: Any, actor: Actor, dm_id: str, query: PageQuery) -> MessagePage:
    return conversation.page(conn, actor, dm_scope(conn, actor, dm_id), query)


def _channel_page(conn: Any, actor: Actor, channel_id: str, query: PageQuery) -> MessagePage:
    return conversation.page(conn, actor, channel_scope(conn, actor, channel_id), query)


def _post_dm(tx: Any, actor: Actor, dm_id: str, body: str, nonce: str,
             quoted_message_id: str | None, correlation_id: str | None
             ) -> tuple[Message, list[Event]]:
    scope = dms.sendable_scope(tx.conn, actor, dm_id)
    return conversation.create(tx, actor, scope, body, nonce=nonce,
                               quoted_message_id=quoted_message_id,
                               correlation_id=correlation_id)
