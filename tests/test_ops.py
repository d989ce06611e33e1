"""Ops endpoints and connection-level limits with non-default settings."""

import socket
import time

import pytest
import trio

from tests.conftest import bootstrap_ids


@pytest.fixture
def config(config):
    return config.replace(metrics_enabled=True, read_timeout_s=1.0, ws_ping_interval_s=0.5)


async def test_metrics_when_enabled(http):
    _, ch = await bootstrap_ids(http)
    await http.post(f"/api/channels/{ch}/messages", json={"body": "count me"})
    text = (await http.get("/metrics")).text
    assert 'clickclack_http_requests_total{method="POST",route="/api/channels/<channel_id>/' \
           'messages",status_class="2xx"} 1' in text
    assert "clickclack_writer_requests_total" in text
    assert "?" not in text  # route patterns only, never query strings


async def test_readyz_reports_unavailable_when_the_database_fails(http, monkeypatch):
    from clickclack.store import Store

    async def broken(self):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(Store, "ping", broken)
    r = await http.get("/readyz")
    assert r.status_code == 503 and r.json() == {"status": "unavailable"}


async def test_a_silent_connection_is_closed_by_the_read_timeout(server, http):
    host, port = server.url.removeprefix("http://").split(":")

    def slowloris() -> float:
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # ... and never finish
            started = time.monotonic()
            try:
                while s.recv(1024):
                    pass
            except OSError:
                pass
            return time.monotonic() - started

    async with trio.open_nursery() as n:
        results = []

        async def one():
            results.append(await trio.to_thread.run_sync(slowloris))

        for _ in range(5):
            n.start_soon(one)
        # Meanwhile normal requests are served.
        for _ in range(20):
            assert (await http.get("/healthz")).status_code == 200
    assert all(0.5 < t < 5 for t in results), results


async def test_an_idle_websocket_outlives_the_read_timeout_because_pongs_count(server, http):
    from trio_websocket import open_websocket_url

    from tests.conftest import frames_to_events, tail_cursor

    ws_id, ch = await bootstrap_ids(http)
    url = server.ws_url + f"/api/realtime/ws?workspace_id={ws_id}&after_cursor=" \
                          f"{await tail_cursor(http, ws_id)}"
    async with open_websocket_url(url) as ws:
        with trio.move_on_after(3 * server.config.read_timeout_s):
            await ws.get_message()  # nothing arrives: idle for three read timeouts
        r = await http.post(f"/api/channels/{ch}/messages", json={"body": "still there?"})
        with trio.fail_after(5):
            (event,) = frames_to_events(await ws.get_message())
        assert event["cursor"] == r.json()["event"]["cursor"]
