"""Store methods for uploads and attachments.  No SQL here: it lives in ``store/uploads.py``
(and ``store/conversation.py`` for posting a message with an attachment)."""

from __future__ import annotations

from typing import Any

from clickclack.actor import Actor
from clickclack.events import Event
from clickclack.store import conversation, dms
from clickclack.store import uploads as rows
from clickclack.store._base import StoreBase
from clickclack.store.scopes import channel_scope
from clickclack.store.uploads import NewUpload, StoredUpload
from clickclack.types import Message
from clickclack.types.uploads import Upload


class UploadsFacade(StoreBase):
    # --- receiving a file -----------------------------------------------------------------
    def check_uploader(self, actor: Actor, workspace_id: str) -> None:
        self._read(rows.check_uploader, actor, workspace_id)

    def upload_nonce_replay(self, actor: Actor, workspace_id: str, nonce: str) -> Upload | None:
        return self._read(rows.nonce_replay, actor, workspace_id, nonce)

    def upload_by_nonce(self, actor: Actor, workspace_id: str, nonce: str) -> Upload:
        return self._read(rows.by_nonce, actor, workspace_id, nonce)

    async def reserve_upload(self, actor: Actor, workspace_id: str, nonce: str, size: int,
                             quota_bytes: int, quota_files: int) -> str:
        return await self._write(rows.reserve, actor, workspace_id, nonce, size, quota_bytes,
                                 quota_files)

    async def release_upload_reservation(self, reservation_id: str) -> None:
        await self._write(rows.release, reservation_id)

    async def record_upload(self, actor: Actor, reservation_id: str, new: NewUpload,
                            quota_bytes: int, quota_files: int) -> tuple[Upload, bool]:
        return await self._write(rows.record, actor, reservation_id, new, quota_bytes,
                                 quota_files)

    # --- serving and attaching --------------------------------------------------------------
    def visible_upload(self, actor: Actor, upload_id: str) -> StoredUpload:
        return self._read(rows.visible, actor, upload_id)

    async def attach_upload(self, actor: Actor, message_id: str, upload_id: str
                            ) -> Event | None:
        return await self._write(rows.attach, actor, message_id, upload_id)

    async def post_message_with_upload(
        self, actor: Actor, channel_id: str, body: str, nonce: str, correlation_id: str | None,
        quoted_message_id: str | None, topic_id: str | None, upload_id: str,
    ) -> tuple[Message, Event | None]:
        message, events = await self._write(
            _post_channel, actor, channel_id, body, nonce, correlation_id, quoted_message_id,
            topic_id, upload_id)
        return message, (events[0] if events else None)

    async def post_dm_with_upload(
        self, actor: Actor, dm_id: str, body: str, nonce: str, quoted_message_id: str | None,
        correlation_id: str | None, upload_id: str,
    ) -> tuple[Message, list[Event]]:
        return await self._write(_post_dm, actor, dm_id, body, nonce, quoted_message_id,
                                 correlation_id, upload_id)

    # --- housekeeping -----------------------------------------------------------------------
    def upload_cleanups(self, limit: int) -> list[tuple[str, str]]:
        return self._read(rows.pending_cleanups, limit)

    async def finish_upload_cleanups(self, done: list[str], failed: dict[str, str]) -> None:
        await self._write(rows.finish_cleanups, done, failed)

    async def expire_unattached_uploads(self, created_before: str, limit: int) -> int:
        return await self._write(rows.expire_unattached, created_before, limit)

    def known_upload_keys(self, keys: list[str]) -> set[str]:
        return self._read(rows.known_keys, keys)


def _post_channel(tx: Any, actor: Actor, channel_id: str, body: str, nonce: str,
                  correlation_id: str | None, quoted_message_id: str | None,
                  topic_id: str | None, upload_id: str) -> tuple[Message, list[Event]]:
    scope = channel_scope(tx.conn, actor, channel_id)
    return conversation.create(tx, actor, scope, body, nonce=nonce,
                               quoted_message_id=quoted_message_id,
                               correlation_id=correlation_id, topic_id=topic_id,
                               upload_id=upload_id)


def _post_dm(tx: Any, actor: Actor, dm_id: str, body: str, nonce: str,
             quoted_message_id: str | None, correlation_id: str | None, upload_id: str
             ) -> tuple[Message, list[Event]]:
    scope = dms.sendable_scope(tx.conn, actor, dm_id)
    return conversation.create(tx, actor, scope, body, nonce=nonce,
                               quoted_message_id=quoted_message_id,
                               correlation_id=correlation_id, upload_id=upload_id)
