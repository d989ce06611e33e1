"""People, pages and problems for the browser tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clickclack.store.workspaces import add_member
from tests.browser.conftest import LiveServer
from tests.helpers import run_tx

CSRF = {"X-ClickClack-CSRF": "1"}


@dataclass
class Person:
    user_id: str
    token: str  # a bearer session, for API calls made by the test itself
    email: str


def sign_up(server: LiveServer, email: str, name: str) -> Person:
    with server.client() as c:
        r = c.post("/api/auth/magic/request", json={"email": email, "display_name": name})
        assert r.status_code == 201, r.text
        r = c.post("/api/auth/magic/consume", json={"token": r.json()["token"]})
        assert r.status_code == 200, r.text
        return Person(r.json()["user"]["id"], r.json()["token"], email)


def magic_token(server: LiveServer, email: str) -> str:
    """A fresh single-use sign-in link token (dev bootstrap answers it inline on loopback)."""
    with server.client() as c:
        r = c.post("/api/auth/magic/request", json={"email": email})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


def bootstrap_ids(server: LiveServer) -> tuple[str, str]:
    with server.client() as c:
        ws = c.get("/api/workspaces").json()["workspaces"][0]["id"]
        channels = c.get(f"/api/workspaces/{ws}/channels").json()["channels"]
        return ws, next(ch["id"] for ch in channels if ch["name"] == "general")


def join(server: LiveServer, workspace_id: str, person: Person) -> None:
    run_tx(server.db, add_member, workspace_id, person.user_id, "member")


@dataclass
class Watched:
    """A page plus what went wrong in it: uncaught errors and CSP violations."""

    page: Any
    problems: list[str] = field(default_factory=list)


def open_page(context: Any, url: str) -> Watched:
    page = context.new_page()
    page.set_default_timeout(10_000)
    watched = Watched(page)

    def on_console(msg: Any) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Refused to" in text:
            watched.problems.append(f"CSP: {text}")
        elif msg.type == "error" and "WebSocket" not in text:
            watched.problems.append(f"console: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda err: watched.problems.append(f"pageerror: {err}"))
    page.goto(url)
    return watched
