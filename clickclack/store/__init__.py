"""The store: the narrow interface every handler and CLI command goes through.

Handlers never see SQL.  Reads run on a read-only connection; writes go to the single
:class:`~clickclack.store.writer.Writer`.  A PostgreSQL implementation would provide the same
methods (the :class:`Store` surface), so handlers do not change when the database does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import trio

from clickclack.actor import Actor
from clickclack.errors import NotFound
from clickclack.events import Event
from clickclack.ids import now_ts
from clickclack.store import access, accounts, eventlog, messages, workspaces
from clickclack.store._base import StoreBase
from clickclack.store.connection import open_read
from clickclack.store.facade_accounts import AccountsFacade
from clickclack.store.facade_bots import BotsFacade
from clickclack.store.facade_conversations import ConversationsFacade
from clickclack.store.facade_members import MembersFacade
from clickclack.store.facade_search import SearchFacade
from clickclack.store.facade_uploads import UploadsFacade
from clickclack.store.messages import PageQuery
from clickclack.store.readers import ReaderPool
from clickclack.store.writer import Tx, Writer, WriterStatistics
from clickclack.types import (
    Channel,
    MagicLink,
    Message,
    MessagePage,
    SessionInfo,
    User,
    Workspace,
)

T = TypeVar("T")

__all__ = ["PageQuery", "Store", "WriterStatistics", "open_store"]


class Store(AccountsFacade, MembersFacade, BotsFacade, ConversationsFacade, UploadsFacade,
            SearchFacade, StoreBase):
    """The store surface handlers and CLI commands use.  Area-specific methods live in the
    ``facade_*`` mixins (one per area); the core ones are below."""

    # --- accounts ---------------------------------------------------------------------------
    def get_user(self, user_id: str) -> User:
        return self._read(accounts.get_user, user_id)

    def first_user_id(self) -> str | None:
        """The dev fallback's user.  Users are never deleted (bots are retired, not removed),
        so once there is a first user it stays the first: read it once."""
        first: str | None = getattr(self, "_first_user", None)
        if first is None:
            first = self._read(accounts.first_user_id)
            self._first_user = first
        return first

    def user_exists(self, user_id: str) -> bool:
        return self._read(lambda c: c.execute(
            "SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is not None)

    def session_for_token(self, token: str) -> tuple[str, str] | None:
        return self._read(accounts.session_for_token, token, now_ts())

    def session_alive(self, session_id: str) -> bool:
        return self._read(accounts.session_alive, session_id, now_ts())

    def bot_for_token(self, token: str) -> Actor | None:
        return self._read(accounts.bot_for_token, token)

    def credential_alive(self, actor: Actor) -> bool:
        """Is the session or bot token behind ``actor`` still valid?"""
        if actor.session_id is not None:
            return self.session_alive(actor.session_id)
        if actor.token_id is not None:
            return bool(self._read(accounts.bot_token_alive, actor.token_id))
        return self.user_exists(actor.user_id)

    async def create_magic_link(self, email: str, display_name: str) -> tuple[MagicLink, str]:
        return await self._writer.submit(accounts.create_magic_link, email, display_name)

    async def consume_magic_link(self, token: str) -> tuple[User, SessionInfo]:
        return await self._writer.submit(accounts.consume_magic_link, token)

    async def revoke_session(self, session_id: str) -> bool:
        return await self._writer.submit(accounts.revoke_session, session_id)

    async def create_user(self, display_name: str, email: str) -> User:
        return await self._writer.submit(accounts.create_user, display_name, email)

    async def create_session(self, user_id: str) -> SessionInfo:
        return await self._writer.submit(accounts.create_session, user_id)

    # --- workspaces and channels ------------------------------------------------------------
    def member_role(self, actor: Actor, workspace_id: str) -> str:
        """The caller's role, or NotFound (also for a bot token bound elsewhere)."""
        return self._read(access.member_role, actor, workspace_id)

    def is_member(self, actor: Actor, workspace_id: str) -> bool:
        try:
            self.member_role(actor, workspace_id)
        except NotFound:
            return False
        return True

    def list_workspaces(self, actor: Actor) -> list[Workspace]:
        return self._read(workspaces.list_workspaces, actor)

    def get_workspace(self, actor: Actor, workspace_id: str) -> Workspace:
        return self._read(workspaces.get_workspace, actor, workspace_id)

    async def create_workspace(self, actor: Actor, name: str, slug: str) -> Workspace:
        return await self._writer.submit(workspaces.create_workspace, actor, name, slug)

    def list_channels(self, actor: Actor, workspace_id: str) -> list[Channel]:
        return self._read(workspaces.list_channels, actor, workspace_id)

    async def create_channel(self, actor: Actor, workspace_id: str, name: str,
                             display_title: str = "", kind: str = "public"
                             ) -> tuple[Channel, Event]:
        return await self._writer.submit(
            workspaces.create_channel, actor, workspace_id, name, display_title, kind)

    async def ensure_bootstrap(self) -> str:
        return await self._writer.submit(workspaces.ensure_bootstrap)

    # --- messages ---------------------------------------------------------------------------
    async def post_message(self, actor: Actor, channel_id: str, body: str, nonce: str = "",
                           correlation_id: str | None = None,
                           quoted_message_id: str | None = None, topic_id: str | None = None
                           ) -> tuple[Message, Event | None]:
        return await self._writer.submit(
            messages.post_message, actor, channel_id, body, nonce, correlation_id,
            quoted_message_id, topic_id)

    def message_page(self, actor: Actor, channel_id: str, query: PageQuery) -> MessagePage:
        return self._read(messages.page, actor, channel_id, query)

    # --- event log --------------------------------------------------------------------------
    def tail_cursor(self, workspace_id: str, user_id: str, is_guest: bool = False) -> str:
        return self._read(eventlog.tail_cursor, workspace_id, user_id, is_guest)

    def cursor_exists(self, workspace_id: str, cursor: str) -> bool:
        return self._read(eventlog.cursor_exists, workspace_id, cursor)

    def events_after(self, workspace_id: str, user_id: str, after: str, limit: int,
                     upto: str | None = None, is_guest: bool = False) -> list[Event]:
        return self._read(eventlog.events_after, workspace_id, user_id, after, limit, upto,
                          is_guest)

    def count_events_after(self, workspace_id: str, user_id: str, after: str, upto: str,
                           cap: int, is_guest: bool = False) -> int:
        return self._read(eventlog.count_after, workspace_id, user_id, after, upto, cap,
                          is_guest)

    # --- generic write (admin and tests) ----------------------------------------------------
    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._writer.submit(fn, *args)


@asynccontextmanager
async def open_store(
    db_path: Path,
    publish: Callable[[list[Event]], None],
    *,
    synchronous: str = "FULL",
    queue_size: int = 1024,
    batch_size: int = 256,
    on_start: Callable[[Tx], Any] | None = None,
    read_timeout_s: float = 5.0,
) -> AsyncIterator[Store]:
    """Start the writer (migrations applied before this yields) and open the read connection.
    On exit: stop accepting writes, drain the queue, checkpoint, close."""
    writer = Writer(db_path, publish, synchronous=synchronous, queue_size=queue_size,
                    batch_size=batch_size, on_start=on_start)
    async with trio.open_nursery() as nursery:
        await nursery.start(writer.run)
        reader = open_read(db_path)
        pool = ReaderPool(db_path)
        try:
            yield Store(writer, reader, pool, read_timeout_s)
        finally:
            writer.close()
            with trio.CancelScope(shield=True):
                await writer.stopped.wait()
            reader.close()
            pool.close()
