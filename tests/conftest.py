"""Shared fixtures: a real server (hypercorn on 127.0.0.1 port 0, real SQLite file) started
in-process through ``clickclack.server.serve``, and helpers for users and websockets.

Rules (after trio-websocket's test suite): loopback only, port 0, every async test has a time
limit (``trio.fail_after`` in the fixtures and helpers, plus ``faulthandler_timeout``), the server
is stopped with its trigger -- never by cancelling it (hypercorn #106).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest
import trio

from clickclack.config import Config
from clickclack.server import serve

TEST_TIMEOUT_S = 60


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        addr="127.0.0.1:0",
        data=str(tmp_path / "data"),
        dev_bootstrap=True,
        graceful_timeout_s=2.0,
        access_log="off",
    )


@dataclass
class Running:
    url: str
    config: Config
    stop: trio.Event

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)


async def start_server(nursery: trio.Nursery, config: Config) -> Running:
    stop = trio.Event()
    url = await nursery.start(partial(serve, config, stop=stop, handle_signals=False))
    return Running(url, config, stop)


@pytest.fixture
async def server(config: Config) -> AsyncIterator[Running]:
    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            running = await start_server(nursery, config)
        yield running
        running.stop.set()


@pytest.fixture
async def http(server: Running) -> AsyncIterator[httpx.AsyncClient]:
    from tests import helpers

    async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
        helpers._DB[str(client.base_url)] = str(server.config.db_path)
        yield client


@dataclass
class Person:
    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(http: httpx.AsyncClient, email: str, name: str = "") -> Person:
    """A new user with a session, through the dev magic-link flow (loopback + dev bootstrap)."""
    r = await http.post("/api/auth/magic/request", json={"email": email, "display_name": name})
    assert r.status_code == 201, r.text
    r = await http.post("/api/auth/magic/consume", json={"token": r.json()["token"]})
    assert r.status_code == 200, r.text
    assert r.cookies.get("cc_session") == r.json()["token"]
    http.cookies.clear()  # the shared client keeps acting as the dev user
    body = r.json()
    return Person(body["user"]["id"], body["token"])


async def bootstrap_ids(http: httpx.AsyncClient) -> tuple[str, str]:
    """(workspace_id, general channel id) of the dev-bootstrap workspace."""
    ws = (await http.get("/api/workspaces")).json()["workspaces"][0]["id"]
    channels = (await http.get(f"/api/workspaces/{ws}/channels")).json()["channels"]
    return ws, next(c["id"] for c in channels if c["name"] == "general")


async def tail_cursor(http: httpx.AsyncClient, workspace_id: str, **kw: object) -> str:
    r = await http.get("/api/realtime/events",
                       params={"workspace_id": workspace_id, "include_tail": "true", "limit": 1},
                       **kw)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    return str(r.json()["tail_cursor"])


def frames_to_events(message: str | bytes) -> list[dict[str, object]]:
    """A frame holds one event object or an array of them (D11)."""
    import json

    data = json.loads(message)
    return data if isinstance(data, list) else [data]
