"""Test helpers that act like an operator on the data directory (another process writing the same
SQLite file, as the admin CLI does)."""

from __future__ import annotations

from typing import Any

from clickclack.store.connection import open_write
from clickclack.store.workspaces import add_member as _add_member
from clickclack.store.writer import Tx

_DB: dict[str, str] = {}


def run_tx(db_path: str, fn: Any, *args: Any) -> Any:
    conn = open_write(__import__("pathlib").Path(db_path), synchronous="NORMAL")
    try:
        conn.execute("BEGIN IMMEDIATE")
        last = conn.execute("SELECT MAX(cursor) FROM events").fetchone()[0]
        result = fn(Tx(conn, last), *args)
        conn.execute("COMMIT")
        return result
    finally:
        conn.close()


async def add_member(http: Any, workspace_id: str, user_id: str, role: str = "member") -> None:
    db = _DB[str(http.base_url)]
    run_tx(db, _add_member, workspace_id, user_id, role)


def run_sql(http: Any, sql: str, *params: Any) -> None:
    """An operator's direct change to the database file (as the admin CLI would make)."""
    def apply(tx: Tx) -> None:
        tx.execute(sql, params)

    run_tx(_DB[str(http.base_url)], apply)


# --- bots and realtime sockets (tests/test_bots.py, test_bot_scopes.py, test_moderation.py) ---

async def create_bot(http: Any, workspace_id: str, *, headers: Any = None, **body: Any
                     ) -> dict[str, Any]:
    """POST /api/workspaces/{id}/bots (as the dev user unless ``headers``); asserts 201."""
    body.setdefault("display_name", "Robot")
    r = await http.post(f"/api/workspaces/{workspace_id}/bots", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def open_socket(server: Any, workspace_id: str, after: str | None = None,
                token: str | None = None) -> Any:
    """The realtime websocket (``async with``), authenticated by the bearer subprotocol when a
    token is given (else as the loopback dev user)."""
    from trio_websocket import open_websocket_url

    url = f"{server.ws_url}/api/realtime/ws?workspace_id={workspace_id}"
    if after:
        url += f"&after_cursor={after}"
    protos = [f"clickclack.bearer.{token}"] if token else None
    return open_websocket_url(url, subprotocols=protos)


async def events_until(ws: Any, predicate: Any, within: float = 5) -> list[dict[str, Any]]:
    """Read frames until an event satisfying ``predicate`` arrives; every event read, in order
    (the matching one last).  Fails after ``within`` seconds."""
    import trio

    from tests.conftest import frames_to_events

    seen: list[dict[str, Any]] = []
    with trio.fail_after(within):
        while True:
            for event in frames_to_events(await ws.get_message()):
                seen.append(event)
                if predicate(event):
                    return seen


async def close_code(ws: Any, within: float = 5) -> tuple[int, list[dict[str, Any]]]:
    """Read until the server closes the socket: (close code, events received before it)."""
    import trio
    from trio_websocket import ConnectionClosed

    from tests.conftest import frames_to_events

    seen: list[dict[str, Any]] = []
    with trio.fail_after(within):
        while True:
            try:
                seen += frames_to_events(await ws.get_message())
            except ConnectionClosed as exc:
                return int(exc.reason.code), seen
