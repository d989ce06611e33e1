"""Password sign-in (opt-in): enrolment by a magic-link user, login by email or handle, change,
identical failures for unknown and wrong, lengths checked before hashing, at most 2 argon2
derivations at once, and a change that revokes the other sessions and closes their sockets."""

from __future__ import annotations

import threading
from typing import Any

import argon2
import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

from tests.conftest import start_server
from tests.test_accounts_mail import (
    capture_services,
    db_count,
    operator_sign_in,
    without_correlation,
)
from tests.test_realtime import ws_path

PASSWORD = "correct horse battery"


@pytest.fixture
def captured_services(monkeypatch):
    return capture_services(monkeypatch)


@pytest.fixture
def config(config, captured_services):
    return config.replace(dev_bootstrap=False, password_auth=True)


@pytest.fixture
def services(server, captured_services) -> Any:
    return captured_services[-1]


async def enrol(http: httpx.AsyncClient, email: str, password: str = PASSWORD,
                handle: str = "") -> Any:
    person = await operator_sign_in(http, email, email.split("@")[0].title())
    r = await http.post("/api/auth/password/change", json={"new_password": password},
                        headers=person.headers)
    assert r.status_code == 200, r.text
    if handle:
        r = await http.patch("/api/me", json={"handle": handle}, headers=person.headers)
        assert r.status_code == 200, r.text
    return person


async def login(http: httpx.AsyncClient, identifier: str, password: str,
                **kw: Any) -> httpx.Response:
    r = await http.post("/api/auth/password/login",
                        json={"identifier": identifier, "password": password}, **kw)
    http.cookies.clear()
    return r


async def test_a_magic_link_user_enrols_then_signs_in_by_email_or_handle(server, http):
    person = await operator_sign_in(http, "ada@example.com", "Ada")
    me = (await http.get("/api/me", headers=person.headers)).json()["user"]
    assert me["password_enrolled"] is False
    r = await http.post("/api/auth/password/change", json={"new_password": PASSWORD},
                        headers=person.headers)
    assert r.status_code == 200 and r.json() == {"ok": True}
    me = (await http.get("/api/me", headers=person.headers)).json()["user"]
    assert me["password_enrolled"] is True
    assert (await http.patch("/api/me", json={"handle": "ada"}, headers=person.headers)
            ).status_code == 200

    for identifier in ("ada@example.com", " ADA@example.com", "ada", "@Ada"):
        r = await login(http, identifier, PASSWORD)
        assert r.status_code == 200, (identifier, r.text)
        body = r.json()
        assert body["user"]["id"] == person.user_id
        assert body["token"].startswith("sst_") and body["session"]["token"] == body["token"]
        cookie = r.headers["set-cookie"].lower()
        assert f"cc_session={body['token']}" in cookie
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.json()["user"]["id"] == person.user_id
    # Only digests are stored.
    assert db_count(http, "SELECT COUNT(*) FROM user_passwords WHERE password_hash LIKE"
                          " '$argon2id$%'") == 1
    assert db_count(http, "SELECT COUNT(*) FROM user_passwords WHERE password_hash LIKE ?",
                    f"%{PASSWORD}%") == 0


async def test_changing_needs_the_current_password_once_one_is_set(server, http):
    person = await enrol(http, "bob@example.com")
    h = person.headers
    r = await http.post("/api/auth/password/change", json={"new_password": "another one!"},
                        headers=h)
    assert r.status_code == 400 and r.json()["code"] == "current_password_required"
    r = await http.post("/api/auth/password/change",
                        json={"current_password": "wrong wrong", "new_password": "another one!"},
                        headers=h)
    assert r.status_code == 403 and r.json()["code"] == "current_password_incorrect"
    r = await http.post("/api/auth/password/change",
                        json={"current_password": PASSWORD, "new_password": "another one!"},
                        headers=h)
    assert r.status_code == 200
    assert (await login(http, "bob@example.com", PASSWORD)).status_code == 401
    assert (await login(http, "bob@example.com", "another one!")).status_code == 200


async def test_unknown_account_and_wrong_password_fail_identically_at_the_same_cost(
        server, http, services):
    await enrol(http, "carol@example.com", handle="carol")
    no_password = await operator_sign_in(http, "dave@example.com")  # exists, never enrolled
    assert no_password.user_id
    answers = []
    for identifier, password in (("carol@example.com", "not the password"),
                                 ("carol", "not the password"),
                                 ("nobody@example.com", "not the password"),
                                 ("nobody", "not the password"),
                                 ("dave@example.com", "not the password")):
        before = services.passwords.statistics().derivations
        r = await login(http, identifier, password)
        assert services.passwords.statistics().derivations == before + 1, identifier
        assert r.status_code == 401, r.text
        assert r.headers["content-type"] == "application/problem+json"
        answers.append(without_correlation(r.json()))
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["code"] == "invalid_credentials"


async def test_oversized_and_short_passwords_are_refused_before_hashing(server, http, services):
    person = await enrol(http, "erin@example.com")
    before = services.passwords.statistics().derivations
    huge = "x" * 1_000_000  # ~1 MB, under the 1 MiB body limit
    with trio.fail_after(5):
        r = await login(http, "erin@example.com", huge)
    assert r.status_code == 400 and r.json()["code"] == "password_too_long"
    r = await http.post("/api/auth/password/change",
                        json={"current_password": PASSWORD, "new_password": huge},
                        headers=person.headers)
    assert r.status_code == 400 and r.json()["code"] == "password_too_long"
    r = await http.post("/api/auth/password/change",
                        json={"current_password": PASSWORD, "new_password": "short"},
                        headers=person.headers)
    assert r.status_code == 400 and r.json()["code"] == "password_too_short"
    r = await http.post("/api/auth/password/change",
                        json={"current_password": PASSWORD, "new_password": "é" * 257},
                        headers=person.headers)
    assert r.status_code == 400  # 257 code points (514 bytes): too long
    r = await login(http, "erin@example.com", "y" * 2_000_000)  # over the body limit
    assert r.status_code == 413
    assert services.passwords.statistics().derivations == before
    # 256 code points is allowed.
    r = await http.post("/api/auth/password/change",
                        json={"current_password": PASSWORD, "new_password": "é" * 256},
                        headers=person.headers)
    assert r.status_code == 200
    assert (await login(http, "erin@example.com", "é" * 256)).status_code == 200


async def test_at_most_two_derivations_run_at_once(server, http, services, monkeypatch):
    # Watch the argon2 calls themselves, in their threads, besides the server's own counter.
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "calls": 0}
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self: Any, *args: Any, **kw: Any) -> Any:
        with lock:
            state["now"] += 1
            state["calls"] += 1
            state["max"] = max(state["max"], state["now"])
        try:
            return real_verify(self, *args, **kw)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    statuses: list[int] = []

    async def one(i: int) -> None:
        r = await http.post("/api/auth/password/login",
                            json={"identifier": f"user{i}@example.com", "password": "guess me!"})
        statuses.append(r.status_code)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for i in range(10):
                nursery.start_soon(one, i)
    assert statuses == [401] * 10
    assert state["calls"] == 10
    assert state["max"] <= 2
    stats = services.passwords.statistics()
    assert stats.max_concurrent <= 2 and stats.active == 0
    assert stats.max_concurrent == 2  # the limiter does allow two at once


async def close_code(ws: Any) -> int:
    """Read until the server closes the socket; its close code."""
    try:
        while True:
            await ws.get_message()
    except ConnectionClosed as exc:
        return int(exc.reason.code)


async def test_a_change_revokes_the_other_sessions_and_closes_their_sockets(server, http):
    person = await enrol(http, "frank@example.com")
    other = await login(http, "frank@example.com", PASSWORD)
    other_token = other.json()["token"]
    ws_id = (await http.post("/api/workspaces", json={"name": "Frank's"},
                             headers=person.headers)).json()["workspace"]["id"]
    third = await login(http, "frank@example.com", PASSWORD)
    third_token = third.json()["token"]
    async with open_websocket_url(server.ws_url + ws_path(ws_id),
                                  subprotocols=[f"clickclack.bearer.{other_token}"]) as ws:
        r = await http.post("/api/auth/password/change",
                            json={"current_password": PASSWORD, "new_password": "brand new pw"},
                            headers=person.headers)
        assert r.status_code == 200, r.text
        with trio.fail_after(5):
            code = await close_code(ws)
    assert code == 1008
    for token in (other_token, third_token):
        r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    assert (await http.get("/api/me", headers=person.headers)).status_code == 200  # kept


async def test_password_routes_use_the_strict_json_and_same_origin_guard(server, http):
    person = await enrol(http, "gina@example.com")
    r = await http.post("/api/auth/password/login", content=b"identifier=gina",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = await login(http, "gina@example.com", PASSWORD,
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["code"] == "cross_site_login"
    r = await http.post("/api/auth/password/change", json={"new_password": "whatever123"},
                        headers={**person.headers, "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    # A cookie session needs the CSRF header as well.
    r = await http.post("/api/auth/password/change",
                        json={"current_password": PASSWORD, "new_password": "whatever123"},
                        headers={"Cookie": f"cc_session={person.token}"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"


async def test_password_routes_are_404_when_the_feature_is_off(config):
    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            running = await start_server(nursery, config.replace(password_auth=False))
        async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
            for path, body in (("/api/auth/password/login",
                                {"identifier": "a@example.com", "password": PASSWORD}),
                               ("/api/auth/password/change", {"new_password": PASSWORD})):
                r = await client.post(path, json=body)
                assert r.status_code in (404, 401), r.text
                if path.endswith("login"):
                    assert r.status_code == 404
                    assert r.json()["code"] == "password_auth_disabled"
            from tests.helpers import _DB

            _DB[str(client.base_url)] = str(running.config.db_path)
            person = await operator_sign_in(client, "off@example.com")
            r = await client.post("/api/auth/password/change", json={"new_password": PASSWORD},
                                  headers=person.headers)
            assert r.status_code == 404 and r.json()["code"] == "password_auth_disabled"
            me = (await client.get("/api/me", headers=person.headers)).json()["user"]
            assert me["password_enrolled"] is False
        running.stop.set()
