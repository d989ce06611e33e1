"""The server as a process: graceful SIGTERM, kill -9 durability, hostile connections."""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import time

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from tests.conftest import bootstrap_ids, tail_cursor
from tests.process import ServerProcess, early_answer_exchange

GRACEFUL = 2.0


@pytest.fixture
async def proc(tmp_path):
    p = ServerProcess(tmp_path / "data", "--dev-bootstrap", "--graceful-timeout", str(GRACEFUL),
                      "--access-log", "off")
    try:
        async with trio.open_nursery() as nursery:
            await p.start(nursery)
            yield p
            p.ensure_dead()
    finally:
        p.ensure_dead()


async def test_sigterm_with_open_sockets_closes_them_1001_and_exits_0_in_time(proc):
    async with httpx.AsyncClient(base_url=proc.url) as http:
        ws_id, ch = await bootstrap_ids(http)
        tail = await tail_cursor(http, ws_id)
        await http.post(f"/api/channels/{ch}/messages", json={"body": "before shutdown"})
    url = (proc.url.replace("http", "ws")
           + f"/api/realtime/ws?workspace_id={ws_id}&after_cursor={tail}")
    codes = []
    async with trio.open_nursery() as n:
        async def client():
            async with open_websocket_url(url) as ws:
                with trio.fail_after(10):
                    try:
                        while True:
                            await ws.get_message()
                    except ConnectionClosed as exc:
                        codes.append(exc.reason.code)

        for _ in range(5):
            n.start_soon(client)
        await trio.testing.wait_all_tasks_blocked(0.2)
        started = time.monotonic()
        proc.signal(signal.SIGTERM)
        status = await proc.wait(GRACEFUL + 5)
        elapsed = time.monotonic() - started
    assert status == 0, proc.output.decode()
    assert elapsed < GRACEFUL + 1, elapsed
    assert codes == [1001] * 5
    wal = proc.data / "clickclack.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed (TRUNCATE)
    assert b"stopped cleanly" in proc.output


async def test_acknowledged_message_survives_kill_9(tmp_path):
    data = tmp_path / "data"
    first = ServerProcess(data, "--dev-bootstrap")
    async with trio.open_nursery() as nursery:
        await first.start(nursery)
        async with httpx.AsyncClient(base_url=first.url) as http:
            ws_id, ch = await bootstrap_ids(http)
            acked = []
            for i in range(20):
                r = await http.post(f"/api/channels/{ch}/messages",
                                    json={"body": f"durable {i}", "nonce": f"k9-{i}"})
                assert r.status_code == 201
                acked.append(r.json())
        await first.kill9()
    db = sqlite3.connect(data / "clickclack.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    second = ServerProcess(data, "--dev-bootstrap")
    try:
        async with trio.open_nursery() as nursery:
            await second.start(nursery)
            async with httpx.AsyncClient(base_url=second.url) as http:
                page = (await http.get(f"/api/channels/{ch}/messages")).json()
                assert [m["id"] for m in page["messages"]] == [a["message"]["id"] for a in acked]
                events = (await http.get("/api/realtime/events",
                                         params={"workspace_id": ws_id, "limit": 500})).json()
                cursors = {e["cursor"] for e in events["events"]}
                assert {a["event"]["cursor"] for a in acked} <= cursors
                # New cursors keep increasing after the restart.
                r = await http.post(f"/api/channels/{ch}/messages", json={"body": "after"})
                assert r.json()["event"]["cursor"] > max(cursors)
                # A retried post with a used nonce is recognised, not duplicated.
                r = await http.post(f"/api/channels/{ch}/messages",
                                    json={"body": "durable 3", "nonce": "k9-3"})
                assert r.status_code == 200
            second.signal(signal.SIGTERM)
            assert await second.wait(10) == 0
    finally:
        second.ensure_dead()


async def test_malformed_upgrade_does_not_take_the_server_down(proc):
    host, port = proc.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        # hypercorn #225: an upgrade request with trailing bytes crashed the whole server.
        s.sendall(b"GET /api/realtime/ws?workspace_id=x HTTP/1.1\r\nHost: a\r\n"
                  b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  b"Sec-WebSocket-Version: 13\r\n\r\nX")
        try:
            s.recv(1024)
        except OSError:
            pass
    for bad in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n"):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(bad)
            try:
                s.recv(1024)
            except OSError:
                pass
    async with httpx.AsyncClient(base_url=proc.url) as http:
        assert (await http.get("/healthz")).status_code == 200


@pytest.mark.parametrize("path", ["/api/workspaces", "/api/no-such-route"])
async def test_early_answer_does_not_stall_a_keep_alive_connection(tmp_path, path):
    """reliability.md 0.6: headers, a pause, then the body; a second request on the same
    connection must be answered (without the drain hook quart-trio never answers it)."""
    p = ServerProcess(tmp_path / "data")  # no dev bootstrap: POST /api/workspaces is a 401
    try:
        async with trio.open_nursery() as nursery:
            await p.start(nursery)
            host, port = p.url.removeprefix("http://").split(":")
            body = b'{"name": "x"}'
            head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")

            got = await trio.to_thread.run_sync(
                early_answer_exchange, host, int(port), head.encode(), body)
            assert got.count(b"HTTP/1.1 ") == 2, got
            assert b'{"status":"ok"}' in got
            p.signal(signal.SIGTERM)
            assert await p.wait(10) == 0
    finally:
        p.ensure_dead()


async def test_a_reader_that_never_reads_is_detached_and_does_not_hang_shutdown(tmp_path):
    """stack-notes pitfall 1: a peer that stops reading pinned its handler forever and hung
    graceful shutdown.  Now: it overflows its hub queue and is detached, healthy subscribers get
    every event, and SIGTERM still exits 0 promptly."""
    send_timeout = 1.0
    p = ServerProcess(tmp_path / "data", "--dev-bootstrap", "--hub-queue", "16",
                      "--send-timeout", str(send_timeout), "--metrics-enabled",
                      "--graceful-timeout", str(GRACEFUL), "--access-log", "off")
    raw = socket.socket()
    try:
        async with trio.open_nursery() as nursery:
            await p.start(nursery)
            async with httpx.AsyncClient(base_url=p.url) as http:
                ws_id, ch = await bootstrap_ids(http)
                tail = await tail_cursor(http, ws_id)
                host, port = p.url.removeprefix("http://").split(":")
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
                raw.connect((host, int(port)))
                raw.sendall((
                    f"GET /api/realtime/ws?workspace_id={ws_id}&after_cursor={tail} HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n").encode())
                url = p.url.replace("http", "ws") + \
                    f"/api/realtime/ws?workspace_id={ws_id}&after_cursor={tail}"
                async with open_websocket_url(url) as healthy:
                    received = 0

                    async def read_all():
                        nonlocal received
                        while received < 300:
                            msg = await healthy.get_message()
                            received += msg.count('"type":"message.created"')

                    with trio.fail_after(60):
                        async with trio.open_nursery() as n:
                            n.start_soon(read_all)
                            for i in range(300):
                                r = await http.post(f"/api/channels/{ch}/messages",
                                                    json={"body": f"flood {i}"})
                                assert r.status_code == 201
                    assert received == 300
                metrics = (await http.get("/metrics")).text
                overflows = int(re.search(r"^clickclack_realtime_overflows_total (\d+)$",
                                          metrics, re.M).group(1))
                assert overflows >= 1
            started = time.monotonic()
            p.signal(signal.SIGTERM)
            assert await p.wait(GRACEFUL + send_timeout + 10) == 0
            assert time.monotonic() - started < GRACEFUL + send_timeout + 1
    finally:
        raw.close()
        p.ensure_dead()
