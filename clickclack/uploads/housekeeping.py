"""The uploads service: where files live, the thumbnail worker limit, and housekeeping.

Housekeeping is one background task (started by ``services.open_services``, stopped before the
store closes).  It removes:

* files whose rows are gone (``pending_upload_cleanups``, filled in the same transaction as the
  delete by a trigger) -- right after a ``message.deleted`` event is committed, and on every
  sweep (a file that cannot be removed is retried, its error recorded);
* uploads never attached to a message within :data:`UNATTACHED_TTL_S` (rows through the
  writer, then their files), and expired quota reservations;
* files nobody owns: ``upload-*`` files without a row and temp files, once older than
  :data:`ORPHAN_GRACE_S` (so an upload being received or just renamed is never touched).

A full sweep runs at start and every :data:`SWEEP_INTERVAL_S`.  All file work runs in worker
threads; errors are logged and the next sweep tries again.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from clickclack.events import Event
from clickclack.ids import ts_from_epoch
from clickclack.uploads.storage import Storage

if TYPE_CHECKING:
    from clickclack.store import Store

LOGGER = logging.getLogger("clickclack.uploads")
SWEEP_INTERVAL_S = 10 * 60
UNATTACHED_TTL_S = 24 * 3600
ORPHAN_GRACE_S = 3600
BATCH = 100
THUMBNAIL_WORKERS = 2


class UploadService:
    def __init__(self, data_dir: Path, *, sweep_interval_s: float = SWEEP_INTERVAL_S,
                 unattached_ttl_s: float = UNATTACHED_TTL_S,
                 orphan_grace_s: float = ORPHAN_GRACE_S) -> None:
        self.storage = Storage(data_dir)
        self.thumbnails = trio.CapacityLimiter(THUMBNAIL_WORKERS)
        self.sweep_interval_s = sweep_interval_s
        self.unattached_ttl_s = unattached_ttl_s
        self.orphan_grace_s = orphan_grace_s
        self._wake = trio.Event()
        self._scope: trio.CancelScope | None = None
        self.sweeps = 0  # completed sweeps
        self._swept = trio.Event()

    def notice(self, events: list[Event]) -> None:
        """Called with every committed batch of events: a deleted message may have left files
        to remove."""
        if any(e.type == "message.deleted" for e in events):
            self._wake.set()

    async def run(self, store: Store, *,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with trio.CancelScope() as scope:
            self._scope = scope
            await trio.to_thread.run_sync(self.storage.ensure_dirs)
            task_status.started()
            next_full = trio.current_time()
            while True:
                full = trio.current_time() >= next_full
                if full:
                    next_full = trio.current_time() + self.sweep_interval_s
                await self.sweep(store, full=full)
                with trio.move_on_at(next_full):
                    await self._wake.wait()
                self._wake = trio.Event()

    def close(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    async def sweep(self, store: Store, *, full: bool = True) -> None:
        try:
            if full:
                cutoff = ts_from_epoch(time.time() - self.unattached_ttl_s)
                while await store.expire_unattached_uploads(cutoff, BATCH) >= BATCH:
                    pass
            while await self._remove_pending(store) >= BATCH:
                pass
            if full:
                await self._remove_orphans(store)
        except Exception as exc:  # noqa: BLE001 - housekeeping must never stop the server
            LOGGER.warning("upload housekeeping failed (will retry): %r", exc)
        self.sweeps += 1
        self._swept.set()
        self._swept = trio.Event()

    async def wait_sweeps(self, count: int) -> None:
        """Until at least ``count`` sweeps have finished."""
        while self.sweeps < count:
            await self._swept.wait()

    async def _remove_pending(self, store: Store) -> int:
        pending = store.upload_cleanups(BATCH)
        if not pending:
            return 0
        by_key = {key: cid for cid, key in pending}
        failed_keys = await trio.to_thread.run_sync(self.storage.remove, list(by_key))
        failed = {by_key[k]: err for k, err in failed_keys.items()}
        done = [cid for cid, _ in pending if cid not in failed]
        for key, err in failed_keys.items():
            LOGGER.warning("could not remove upload file %s: %s", key, err)
        await store.finish_upload_cleanups(done, failed)
        return len(pending)

    async def _remove_orphans(self, store: Store) -> None:
        keys, temps = await trio.to_thread.run_sync(self.storage.old_files, self.orphan_grace_s)
        known = store.known_upload_keys(keys) if keys else set()
        orphans = [k for k in keys if k not in known]
        if orphans:
            LOGGER.info("removing %d upload files without a row", len(orphans))
            await trio.to_thread.run_sync(self.storage.remove, orphans)
        if temps:
            await trio.to_thread.run_sync(_unlink_all, temps)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
