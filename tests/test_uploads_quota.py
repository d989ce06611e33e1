"""The per-user, per-workspace upload quota (contract 16), with small limits so the tests stay
fast: files and bytes, reservations held by uploads still in flight, and their release."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import trio

from clickclack.config import Config
from tests.conftest import bootstrap_ids, sign_up
from tests.helpers import _DB, add_member
from tests.test_uploads import BOUNDARY, CT, part, upload, wait_until

KiB = 1024


@pytest.fixture
def config(tmp_path: Any) -> Config:
    return Config(addr="127.0.0.1:0", data=str(tmp_path / "data"), dev_bootstrap=True,
                  graceful_timeout_s=2.0, access_log="off", upload_max_bytes=100 * KiB,
                  upload_quota_bytes=200 * KiB, upload_quota_files=3)


def reservations(http: Any) -> int:
    with sqlite3.connect(_DB[str(http.base_url)]) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM upload_quota_reservations").fetchone()[0])


async def test_file_and_byte_quotas_per_user_and_workspace(http):
    ws, _ = await bootstrap_ids(http)
    for i in range(3):
        await upload(http, ws, b"x" * 10, f"{i}.bin")
    r = await upload(http, ws, b"one too many", expect=413)
    assert r.json()["code"] == "upload_quota_exceeded"
    assert r.json()["error"] == "upload quota exceeded"
    # Another user has a quota of their own; another workspace too.
    bea = await sign_up(http, "bea@example.com")
    await add_member(http, ws, bea.user_id)
    await upload(http, ws, b"y" * (90 * KiB), headers=bea.headers)
    await upload(http, ws, b"y" * (90 * KiB), headers=bea.headers)
    r = await upload(http, ws, b"y" * (30 * KiB), headers=bea.headers, expect=413)
    assert r.json()["code"] == "upload_quota_exceeded"
    other = (await http.post("/api/workspaces", json={"name": "Two"})).json()["workspace"]["id"]
    await upload(http, other, b"z")
    # The per-file cap still applies below the quota.
    r = await upload(http, other, b"z" * (100 * KiB + 1), expect=413)
    assert r.json()["code"] == "upload_too_large"
    assert reservations(http) == 0


async def test_uploads_in_flight_hold_their_share_of_the_quota(http, server):
    """A slow upload reserves its declared size first; a parallel one that would pass the quota
    is refused, and the reservation is released when the slow one ends."""
    ws, _ = await bootstrap_ids(http)
    await upload(http, ws, b"a" * (60 * KiB), "first.bin")
    head = (part("workspace_id", ws)
            + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
              f'filename="slow.bin"\r\n\r\n'.encode())
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    size = 90 * KiB
    release = trio.Event()
    reserved = trio.Event()

    async def slow_body() -> Any:
        yield head + b"s" * KiB
        reserved.set()
        await release.wait()
        yield b"s" * (size - KiB) + tail

    async def slow_upload() -> None:
        async with __import__("httpx").AsyncClient(base_url=server.url, timeout=20) as c:
            r = await c.post("/api/uploads", content=slow_body(), headers={
                **CT, "Content-Length": str(len(head) + size + len(tail))})
            assert r.status_code == 201, r.text

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(slow_upload)
            await reserved.wait()
            await wait_until(lambda: reservations(http) == 1)  # the part headers were read
            r = await upload(http, ws, b"b" * (60 * KiB), "parallel.bin", expect=413)
            assert r.json()["code"] == "upload_quota_exceeded"
            release.set()
    assert reservations(http) == 0
    # 60 + 90 KiB used: 40 KiB fit, 60 do not.
    await upload(http, ws, b"c" * (40 * KiB))
    r = await upload(http, ws, b"d", expect=413)  # and that was the third file
    assert r.json()["code"] == "upload_quota_exceeded"
