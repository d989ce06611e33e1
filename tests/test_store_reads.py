"""Reads: long queries run off the event loop and are stopped at their time limit."""

import time

import pytest
import trio

from clickclack.errors import Unavailable
from clickclack.realtime.hub import Hub
from clickclack.store import open_store

ENDLESS = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
           " SELECT COUNT(*) FROM n")


async def test_a_runaway_query_is_stopped_and_the_loop_stays_responsive(tmp_path):
    async with open_store(tmp_path / "r.db", Hub().publish, read_timeout_s=0.3) as store:
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await trio.sleep(0.01)
                ticks += 1

        started = time.monotonic()
        with trio.fail_after(10):
            async with trio.open_nursery() as n:
                n.start_soon(ticker)
                with pytest.raises(Unavailable) as info:
                    await store._read_long(lambda c: c.execute(ENDLESS).fetchall())
                n.cancel_scope.cancel()
        assert info.value.code == "query_timeout"
        assert time.monotonic() - started < 3
        assert ticks > 10  # the event loop kept running while the query ran in a thread
        # The pooled connection is usable again.
        rows = await store._read_long(lambda c: c.execute("SELECT 1").fetchall())
        assert tuple(rows[0]) == (1,)
