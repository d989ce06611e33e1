"""Upload housekeeping: expired unattached uploads, files whose rows are gone (also after a
workspace is deleted), files without a row and stale temp files are removed; fresh and attached
ones are kept."""

from __future__ import annotations

import os
import time
from pathlib import Path

import trio

from clickclack.ids import ts_from_epoch
from clickclack.realtime.hub import Hub
from clickclack.store import open_store
from clickclack.store.workspaces import ensure_bootstrap
from clickclack.uploads.housekeeping import UploadService
from clickclack.uploads.storage import new_key


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_sweeps_remove_what_nobody_owns_and_keep_the_rest(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    service = UploadService(data, unattached_ttl_s=3600, orphan_grace_s=600)
    service.storage.ensure_dirs()
    root = service.storage.root
    with trio.fail_after(20):
        async with open_store(data / "clickclack.db", Hub().publish,
                              on_start=ensure_bootstrap) as store:
            ws, user = await store.write(lambda tx: tuple(tx.one(
                "SELECT workspace_id, user_id FROM workspace_members LIMIT 1")))

            def add(tx, key: str, created: str, thumb: str | None = None) -> str:
                uid = "upl_" + key[-26:]
                tx.execute("INSERT INTO uploads (id, workspace_id, owner_id, filename,"
                            " content_type, byte_size, storage_path, thumbnail_path, created_at)"
                            " VALUES (?,?,?,?,?,?,?,?,?)",
                            (uid, ws, user, "f", "text/plain", 1, key, thumb, created))
                return uid

            old = ts_from_epoch(time.time() - 7200)
            files = {name: new_key() for name in ("expired", "fresh", "attached", "orphan",
                                                 "young_orphan")}
            for key in files.values():
                (root / key).write_bytes(b"x")
            thumb = files["expired"] + ".thumb.webp"
            (root / thumb).write_bytes(b"t")
            await store.write(add, files["expired"], old, thumb)
            await store.write(add, files["fresh"], ts_from_epoch(time.time()))
            attached = await store.write(add, files["attached"], old)
            ch = await store.write(lambda tx: tx.one("SELECT id FROM channels LIMIT 1")[0])

            def attach(tx) -> None:
                tx.execute("INSERT INTO messages (id, workspace_id, channel_id, author_id,"
                           " thread_root_id, channel_seq, body, body_format, created_at)"
                           " VALUES ('msg_h', ?, ?, ?, 'msg_h', 1, 'b', 'markdown', ?)",
                           (ws, ch, user, old))
                tx.execute("INSERT INTO message_attachments (message_id, upload_id, created_at)"
                           " VALUES ('msg_h', ?, ?)", (attached, old))

            await store.write(attach)
            _age(root / files["orphan"], 3600)
            stale_tmp = service.storage.tmp / "upload-x.part"
            stale_tmp.write_bytes(b"partial")
            _age(stale_tmp, 3600)
            fresh_tmp = service.storage.tmp / "upload-y.part"
            fresh_tmp.write_bytes(b"receiving")

            await service.sweep(store)

            left = {p.name for p in root.iterdir() if p.is_file()}
            assert left == {files["fresh"], files["attached"], files["young_orphan"]}
            assert [p.name for p in service.storage.tmp.iterdir()] == ["upload-y.part"]
            assert store.upload_cleanups(10) == []
            # Deleting the workspace cascades to its uploads; the trigger queues their files.
            await store.write(lambda tx: tx.execute("DELETE FROM workspaces WHERE id = ?",
                                                    (ws,)))
            assert len(store.upload_cleanups(10)) == 2
            await service.sweep(store, full=False)
            assert {p.name for p in root.iterdir() if p.is_file()} == {files["young_orphan"]}
            assert store.upload_cleanups(10) == []


async def test_the_service_starts_sweeps_and_stops(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    service = UploadService(data, sweep_interval_s=3600)
    with trio.fail_after(20):
        async with open_store(data / "clickclack.db", Hub().publish) as store, \
                trio.open_nursery() as nursery:
            await nursery.start(service.run, store)
            assert service.storage.tmp.is_dir()
            await service.wait_sweeps(1)  # the sweep at start
            service.close()
