"""The replay cap (contract 14.5): more than ``replay_limit`` events to catch up closes with
4001, and the documented HTTP resync recovers."""

import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from tests.conftest import bootstrap_ids, tail_cursor
from tests.test_realtime import next_events, ws_path


@pytest.fixture
def config(config):
    return config.replace(replay_limit=10)


async def test_replay_over_the_limit_closes_with_4001_and_http_resync_works(server, http):
    ws_id, ch = await bootstrap_ids(http)
    start = await tail_cursor(http, ws_id)
    for i in range(11):
        await http.post(f"/api/channels/{ch}/messages", json={"body": f"x{i}"})
    async with open_websocket_url(server.ws_url + ws_path(ws_id, start)) as ws:
        with trio.fail_after(5), pytest.raises(ConnectionClosed) as info:
            await ws.get_message()
    assert info.value.reason.code == 4001
    assert "resync" in info.value.reason.reason
    # The documented recovery: fresh tail, then reconnect from it.
    fresh = await tail_cursor(http, ws_id)
    async with open_websocket_url(server.ws_url + ws_path(ws_id, fresh)) as ws:
        r = await http.post(f"/api/channels/{ch}/messages", json={"body": "after resync"})
        with trio.fail_after(5):
            (e,) = await next_events(ws)
        assert e["cursor"] == r.json()["event"]["cursor"]
