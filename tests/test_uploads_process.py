"""Uploads against a real server process: peak memory while streaming (C4, D11), the keep-alive
connection after an early answer on the streamed route (reliability.md 0.6), and a client that
vanishes mid-upload (nothing left behind)."""

from __future__ import annotations

import signal
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import trio

from tests.process import ServerProcess, early_answer_exchange
from tests.test_uploads import BOUNDARY, CT, png_declaring, stored_files, upload, wait_until

MiB = 1024 * 1024
DEV = {"CLICKCLACK_DEV_BOOTSTRAP": "true"}


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> int:
    """Reset the process's peak RSS (VmHWM) to its current RSS; returns that RSS in bytes."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status_kib(pid, "VmRSS") * 1024


def peak(pid: int) -> int:
    return _status_kib(pid, "VmHWM") * 1024


async def _big_body(workspace_id: str, size: int) -> tuple[Any, int]:
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="workspace_id"\r\n\r\n'
            f'{workspace_id}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.bin"\r\n\r\n').encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    async def gen() -> Any:
        yield head
        block = bytes(range(256)) * 1024  # 256 KiB, not all zeros
        left = size
        while left:
            n = min(left, len(block))
            yield block[:n]
            left -= n
        yield tail

    return gen(), len(head) + size + len(tail)


async def test_streaming_keeps_memory_bounded_and_bombs_are_cheap(tmp_path, capsys):
    p = ServerProcess(tmp_path / "data", env=DEV)
    try:
        async with trio.open_nursery() as nursery:
            await p.start(nursery)
            assert p.proc is not None
            pid = p.proc.pid
            async with httpx.AsyncClient(base_url=p.url, timeout=30) as http:
                ws = (await http.get("/api/workspaces")).json()["workspaces"][0]["id"]
                await upload(http, ws, b"warm-up")  # first use of every code path
                await upload(http, ws, png_declaring(32, 32), "warm.png")
                size = 20 * MiB
                body, length = await _big_body(ws, size)
                base = reset_peak(pid)
                r = await http.post("/api/uploads", content=body,
                                    headers={**CT, "Content-Length": str(length)})
                assert r.status_code == 201, r.text
                assert r.json()["upload"]["byte_size"] == size
                grew = peak(pid) - base
                got = await http.get(f"/api/uploads/{r.json()['upload']['id']}")
                assert len(got.content) == size
                # The bomb: a 1 KB PNG declaring 2.5 gigapixels.
                base_bomb = reset_peak(pid)
                started = time.monotonic()
                r = await upload(http, ws, png_declaring(50_000, 50_000), "bomb.png",
                                 expect=413)
                bomb_s = time.monotonic() - started
                bomb_grew = peak(pid) - base_bomb
            with capsys.disabled():
                print(f"\n[uploads] 20 MiB upload: server peak RSS grew {grew / MiB:.1f} MiB; "
                      f"bomb refused in {bomb_s * 1000:.0f} ms, peak RSS grew "
                      f"{bomb_grew / MiB:.1f} MiB")
            assert grew < 10 * MiB, grew  # far less than the 20 MiB received
            assert r.json()["code"] == "image_too_large"
            assert bomb_s < 1.0 and bomb_grew < 50 * MiB
            p.signal(signal.SIGTERM)
            assert await p.wait(10) == 0
    finally:
        p.ensure_dead()


async def test_early_answers_do_not_stall_and_a_vanished_client_leaves_nothing(tmp_path):
    p = ServerProcess(tmp_path / "data", env=DEV)
    data = tmp_path / "data"
    try:
        async with trio.open_nursery() as nursery:
            await p.start(nursery)
            host, port = p.url.removeprefix("http://").split(":")
            body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="a.bin"\r\n\r\n' + "x" * 5000 + f"\r\n--{BOUNDARY}--\r\n"
                    ).encode()
            for extra, query in (("Authorization: Bearer sst_wrong\r\n", ""),  # 401
                                 ("", "?workspace_id=wsp_nope")):  # 404 before reading
                head = (f"POST /api/uploads{query} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}"
                        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n").encode()
                got = await trio.to_thread.run_sync(
                    early_answer_exchange, host, int(port), head, body)
                assert got.count(b"HTTP/1.1 ") == 2, got
                assert b'{"status":"ok"}' in got

            # A client that stops mid-upload: the temp file and the reservation go.
            async with httpx.AsyncClient(base_url=p.url, timeout=30) as http:
                ws = (await http.get("/api/workspaces")).json()["workspaces"][0]["id"]
            head = (f"POST /api/uploads?workspace_id={ws} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                    f"Content-Length: {10 * MiB}\r\n\r\n"
                    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="gone.bin"\r\n\r\n').encode()
            sock = socket.create_connection((host, int(port)), timeout=5)
            try:
                sock.sendall(head + b"g" * MiB)
                await wait_until(lambda: any(n.startswith("tmp/") for n in stored_files(data)),
                                 10)
            finally:
                sock.close()
            await wait_until(lambda: stored_files(data) == [] and _reservations(data) == 0, 10)
            p.signal(signal.SIGTERM)
            assert await p.wait(10) == 0
    finally:
        p.ensure_dead()


def _reservations(data: Path) -> int:
    with sqlite3.connect(data / "clickclack.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM upload_quota_reservations").fetchone()[0])
