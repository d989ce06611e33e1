"""A search that cannot finish within the read time limit answers 503 problem+json
(``query_timeout``) instead of tying up the server (D8)."""

from __future__ import annotations

import pytest

from clickclack.ids import new_id, now_ts
from clickclack.store.writer import Tx
from tests.conftest import bootstrap_ids
from tests.helpers import _DB, run_tx

SEEDED = 2_000


@pytest.fixture
def config(config):
    # SQLite's progress handler checks the deadline every 10,000 VM steps, so any query that
    # needs more steps than that is stopped at the first check: deterministic, no timing.
    return config.replace(read_query_timeout_s=1e-6)


def _seed(tx: Tx, workspace_id: str, channel_id: str, author_id: str) -> None:
    """Half the messages say alpha, the other half omega: "alpha omega" matches none, so the
    search has to look at a thousand candidates before it can say so."""
    rows = []
    for i in range(SEEDED):
        mid = new_id("msg")
        word = "alpha" if i % 2 else "omega"
        rows.append((mid, workspace_id, channel_id, author_id, mid, i + 1,
                     f"{word} seeded item {i}", now_ts()))
    tx.conn.executemany(
        "INSERT INTO messages (id, workspace_id, channel_id, author_id, thread_root_id,"
        " channel_seq, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    tx.execute("UPDATE channels SET last_seq = ? WHERE id = ?", (SEEDED, channel_id))


async def test_a_search_over_the_time_limit_answers_503(http):
    ws, ch = await bootstrap_ids(http)
    me = (await http.get("/api/me")).json()["user"]["id"]
    run_tx(_DB[str(http.base_url)], _seed, ws, ch, me)
    r = await http.get("/api/search", params={"workspace_id": ws, "q": "alpha omega"})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 503 and problem["code"] == "query_timeout"
    assert "alpha" not in r.text  # nothing of the query or the data leaks
    # The server is fine: other requests answer, and so does a search without much work.
    assert (await http.get("/healthz")).status_code == 200
    page = await http.get(f"/api/channels/{ch}/messages", params={"limit": 5})
    assert page.status_code == 200 and len(page.json()["messages"]) == 5
    r = await http.get("/api/search", params={"workspace_id": ws, "q": ""})
    assert r.status_code == 200 and r.json()["results"] == []
