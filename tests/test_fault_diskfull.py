"""Disk full (issue 9, group 3; reliability.md §8 A4).

The data directory lives on a small tmpfs mounted by the test (root only; skipped with the
reason otherwise).  A filler file takes the remaining space, then:

* writes answer 507 problem+json and are never acknowledged (their nonces never appear);
* reads and live websocket delivery (ephemeral events) keep working;
* once the filler is deleted, writes succeed again on the same server process, and the
  websocket receives them;
* ``integrity_check`` is ok and every message has its ``message.created`` event.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import trio
from trio_websocket import open_websocket_url

from tests.conftest import bootstrap_ids, frames_to_events, tail_cursor
from tests.process import ServerProcess

pytestmark = pytest.mark.slow

SIZE = "24m"
BODY = "d" * 20_000


@pytest.fixture
def small_disk(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs (mount -t tmpfs); run ./scripts/test as root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(mnt)],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(path: Path) -> int:
    """Write until ENOSPC; returns the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as f:
        try:
            while True:
                written += f.write(chunk)
        except OSError:
            pass
    small = b"\0" * 512
    with path.open("ab", buffering=0) as f:
        try:
            while True:
                written += f.write(small)
        except OSError:
            pass
    return written


async def test_disk_full_refuses_writes_keeps_reads_and_recovers(small_disk, capsys):
    data = small_disk / "data"
    server = ServerProcess(data, "--dev-bootstrap", "--access-log", "off",
                           "--rate-messages", "off", "--rate-ephemeral", "off")
    try:
        async with trio.open_nursery() as nursery:
            await server.start(nursery)
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                ws_id, ch = await bootstrap_ids(http)
                url = (server.url.replace("http", "ws") + f"/api/realtime/ws?workspace_id="
                       f"{ws_id}&after_cursor={await tail_cursor(http, ws_id)}")
                async with open_websocket_url(url) as ws:
                    acked_before = 0
                    acked: list[str] = []
                    for i in range(20):
                        r = await http.post(f"/api/channels/{ch}/messages",
                                            json={"body": BODY, "nonce": f"before-{i}"})
                        assert r.status_code == 201, r.text
                        acked_before += 1
                        acked.append(f"before-{i}")
                    filler = small_disk / "filler"
                    _fill(filler)

                    # Writes fail with 507 problem+json; any that still fits is acknowledged
                    # normally, until the disk is really full.
                    refused: list[str] = []
                    for i in range(200):
                        nonce = f"full-{i}"
                        r = await http.post(f"/api/channels/{ch}/messages",
                                            json={"body": BODY, "nonce": nonce})
                        if r.status_code == 201:
                            acked_before += 1
                            acked.append(nonce)
                            continue
                        assert r.status_code == 507, r.text
                        assert r.headers["content-type"].startswith("application/problem+json")
                        assert r.json()["code"] == "insufficient_storage"
                        refused.append(nonce)
                        if len(refused) >= 5:
                            break
                    assert len(refused) == 5, "the disk never filled up"

                    # Reads keep working.
                    r = await http.get(f"/api/channels/{ch}/messages")
                    assert r.status_code == 200
                    # Live delivery keeps working (ephemeral events need no disk); drain
                    # anything queued first.
                    with trio.move_on_after(0.5):
                        while True:
                            await ws.get_message()
                    r = await http.post("/api/realtime/ephemeral", json={
                        "workspace_id": ws_id, "type": "typing.started", "channel_id": ch})
                    assert r.status_code in (200, 202, 204), r.text
                    with trio.fail_after(5):
                        events = frames_to_events(await ws.get_message())
                    assert any(e["type"] == "typing.started" for e in events), events

                    # Free the space: writes resume without a restart.
                    filler.unlink()
                    freed = time.monotonic()
                    with trio.fail_after(10):
                        while True:
                            r = await http.post(f"/api/channels/{ch}/messages",
                                                json={"body": "after", "nonce": "after-0"})
                            if r.status_code == 201:
                                break
                            await trio.sleep(0.1)
                    recovered = time.monotonic() - freed
                    cursor = r.json()["event"]["cursor"]
                    with trio.fail_after(5):
                        while True:
                            got = frames_to_events(await ws.get_message())
                            if any(e.get("cursor") == cursor for e in got):
                                break
                    for nonce in refused:
                        r = await http.get("/api/messages/by-nonce",
                                           params={"workspace_id": ws_id, "nonce": nonce})
                        assert r.status_code == 404, (nonce, r.text)
            nursery.cancel_scope.cancel()
    finally:
        server.ensure_dead()
    db = sqlite3.connect(data / "clickclack.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        orphans = db.execute(
            "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM events e"
            " WHERE e.type = 'message.created'"
            " AND json_extract(e.payload_json, '$.message_id') = m.id)").fetchone()[0]
        assert orphans == 0
        stored = {n for (n,) in db.execute("SELECT client_nonce FROM messages")}
        assert not stored & set(refused)
        assert set(acked) <= stored, "an acknowledged write was lost"
    finally:
        db.close()
    with capsys.disabled():
        print(f"\n[fault/diskfull] tmpfs {SIZE}: {acked_before} acknowledged before ENOSPC, "
              f"0 lost, {len(refused)} refused with 507 (never stored), reads and live "
              f"delivery ok, writes resumed {recovered:.2f} s after freeing space, "
              f"integrity ok, 0 orphans")
