"""Rate limits (contract 18, reliability D9): the token buckets themselves, the client address
they key on, and every limit over HTTP -- 429, problem+json, Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import trio
from werkzeug.datastructures import Headers

from clickclack.config import Config, load_config
from clickclack.errors import ConfigError, RateLimited
from clickclack.ratelimit import Rate, RateLimiter, client_ip, parse_rate
from tests.conftest import start_server
from tests.test_accounts_mail import SmtpSink, mint_magic_token, operator_sign_in

PASSWORD = "correct horse battery"

# --- the limiter ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_specs():
    assert parse_rate("20/1m") == Rate(20, 60.0)
    assert parse_rate("5/15m") == Rate(5, 900.0)
    assert parse_rate("40/2s") == Rate(40, 2.0)
    assert parse_rate(" 3 / 1.5h ") == Rate(3, 5400.0)
    assert parse_rate("10/30") == Rate(10, 30.0)
    assert parse_rate("off") is None
    for bad in ("", "20", "20/", "/1m", "x/1m", "20/1d", "-1/1m", "0/1m", "5/0s", "1e3/1m"):
        with pytest.raises(ConfigError):
            parse_rate(bad)
    with pytest.raises(ConfigError, match="rate_messages"):
        Config(rate_messages="lots")
    c = load_config(env={"CLICKCLACK_RATE_MESSAGES": "100/1s",
                         "CLICKCLACK_PASSWORD_AUTH_ENABLED": "true"})
    assert (c.rate_messages, c.password_auth) == ("100/1s", True)


def test_a_bucket_allows_its_burst_then_refills_evenly():
    clock = Clock()
    limits = RateLimiter({"x": Rate(3, 60.0)}, clock=clock)
    for _ in range(3):
        limits.hit("x", "k")
    with pytest.raises(RateLimited) as info:
        limits.hit("x", "k")
    assert info.value.retry_after == 20  # one token every 60/3 s
    assert info.value.status == 429
    limits.hit("x", "other")  # keys are independent
    clock.now += 19.5
    with pytest.raises(RateLimited) as info:
        limits.hit("x", "k")
    assert info.value.retry_after == 1
    clock.now += 0.5
    limits.hit("x", "k")
    clock.now += 3600  # refills up to the burst, never beyond
    for _ in range(3):
        limits.hit("x", "k")
    with pytest.raises(RateLimited):
        limits.hit("x", "k")
    assert limits.statistics().refused == {"x": 3}


def test_refund_gives_a_token_back_and_off_never_limits():
    clock = Clock()
    limits = RateLimiter({"x": Rate(1, 60.0), "free": None}, clock=clock)
    limits.hit("x", "k")
    limits.refund("x", "k")
    limits.hit("x", "k")
    with pytest.raises(RateLimited):
        limits.hit("x", "k")
    limits.refund("x", "never-seen")  # harmless
    for _ in range(1000):
        limits.hit("free", "k")


def test_memory_is_bounded_by_evicting_the_least_recently_used_key():
    clock = Clock()
    limits = RateLimiter({"x": Rate(1, 3600.0), "y": Rate(1, 3600.0)}, max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        limits.hit("x", key)
    with pytest.raises(RateLimited):
        limits.hit("x", "a")  # touches a: b is now the oldest
    for i in range(1000):
        limits.hit("y", f"k{i}")
    limits.hit("x", "d")  # evicts b
    stats = limits.statistics()
    assert stats.keys == {"x": 3, "y": 3}
    assert stats.evicted == 1 + 997
    limits.hit("x", "b")  # forgotten, so a fresh bucket (evicts c)
    with pytest.raises(RateLimited):
        limits.hit("x", "a")  # still tracked, still empty


def test_client_ip_trusts_x_real_ip_only_from_a_loopback_proxy_that_agrees():
    def h(**kw: str | list[str]) -> Headers:
        headers = Headers()
        for k, v in kw.items():
            for item in (v if isinstance(v, list) else [v]):
                headers.add(k.replace("_", "-"), item)
        return headers

    real = {"X_Real_IP": "203.0.113.9", "X_Forwarded_For": "203.0.113.9"}
    assert client_ip("127.0.0.1", h(**real)) == "203.0.113.9"
    assert client_ip("::1", h(**real)) == "203.0.113.9"
    assert client_ip("198.51.100.1", h(**real)) == "198.51.100.1"  # not our proxy
    assert client_ip("127.0.0.1", h()) == "127.0.0.1"
    assert client_ip("127.0.0.1", h(X_Real_IP="203.0.113.9")) == "127.0.0.1"
    assert client_ip("127.0.0.1", h(X_Real_IP="203.0.113.9",
                                    X_Forwarded_For="198.51.100.7")) == "127.0.0.1"
    assert client_ip("127.0.0.1", h(X_Real_IP="203.0.113.9",
                                    X_Forwarded_For="203.0.113.9, 10.0.0.1")) == "127.0.0.1"
    assert client_ip("127.0.0.1", h(X_Real_IP="203.0.113.9",
                                    X_Forwarded_For=["203.0.113.9", "1.2.3.4"])) == "127.0.0.1"
    assert client_ip("127.0.0.1", h(X_Real_IP="nonsense", X_Forwarded_For="nonsense")) == (
        "127.0.0.1")
    # IPv6 clients are keyed by their /64; mapped IPv4 by the IPv4 address.
    assert client_ip("2001:db8:1:2:aaaa::1", h()) == "2001:db8:1:2::/64"
    assert client_ip("2001:db8:1:2:bbbb::7", h()) == "2001:db8:1:2::/64"
    assert client_ip("::ffff:198.51.100.1", h()) == "198.51.100.1"


# --- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def config(config, smtp_sink):
    # Production defaults for the sign-in limits; small message/ephemeral budgets so the test
    # reaches them quickly.
    return config.replace(dev_bootstrap=False, password_auth=True, smtp_url=smtp_sink.url,
                          mail_from="chat@example.com", rate_messages="5/1m",
                          rate_ephemeral="3/1m")


def from_ip(ip: str) -> dict[str, str]:
    """As a reverse proxy on this machine would forward a client at ``ip``."""
    return {"X-Real-IP": ip, "X-Forwarded-For": ip}


async def concurrently(n: int, request: Any) -> list[httpx.Response]:
    """``request(i)`` for i in range(n), all at once; the answers in order of i."""
    answers: dict[int, httpx.Response] = {}

    async def one(i: int) -> None:
        answers[i] = await request(i)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for i in range(n):
                nursery.start_soon(one, i)
    return [answers[i] for i in range(n)]


def assert_429(r: httpx.Response, limit: str) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    retry = int(r.headers["retry-after"])
    assert retry >= 1
    body = r.json()
    assert body["status"] == 429 and body["code"] == "rate_limited"
    assert body["limit"] == limit and body["detail"] == body["error"]


async def test_magic_requests_are_limited_per_email_and_per_ip(server, http):
    for i in range(3):  # 3/1m per address, from different addresses
        r = await http.post("/api/auth/magic/request", json={"email": "Target@example.com"},
                            headers=from_ip(f"198.51.100.{i + 1}"))
        assert r.status_code == 202
    r = await http.post("/api/auth/magic/request", json={"email": "target@example.com"},
                        headers=from_ip("198.51.100.99"))
    assert_429(r, "magic_request_email")
    assert 15 <= int(r.headers["retry-after"]) <= 20  # one every 20 s
    # 20/1m per client address (one every 3 s): 21 at once, exactly one refused.
    statuses = await concurrently(21, lambda i: http.post(
        "/api/auth/magic/request", json={"email": f"u{i}@example.com"},
        headers=from_ip("203.0.113.5")))
    assert sorted(r.status_code for r in statuses) == [202] * 20 + [429]
    assert_429(next(r for r in statuses if r.status_code == 429), "magic_request_ip")
    r = await http.post("/api/auth/magic/request", json={"email": "fresh@example.com"},
                        headers=from_ip("203.0.113.6"))
    assert r.status_code == 202  # another client is unaffected


async def test_magic_consumes_are_limited_per_ip(server, http):
    answers = await concurrently(30, lambda i: http.post(
        "/api/auth/magic/consume", json={"token": f"mgt_guess{i}"},
        headers=from_ip("203.0.113.7")))
    assert [r.status_code for r in answers] == [400] * 30
    good = mint_magic_token(http, "late@example.com")
    r = await http.post("/api/auth/magic/consume", json={"token": good},
                        headers=from_ip("203.0.113.7"))
    assert_429(r, "magic_consume_ip")
    r = await http.post("/api/auth/magic/consume", json={"token": good},
                        headers=from_ip("203.0.113.8"))
    assert r.status_code == 200  # the refused attempt did not use up the link


async def test_brute_force_on_one_account_from_five_addresses_stops_after_five(server, http):
    person = await operator_sign_in(http, "victim@example.com")
    r = await http.post("/api/auth/password/change", json={"new_password": PASSWORD},
                        headers=person.headers)
    assert r.status_code == 200
    statuses = []
    for i in range(50):
        r = await http.post("/api/auth/password/login",
                            json={"identifier": "victim@example.com", "password": f"guess{i:04}"},
                            headers=from_ip(f"198.51.100.{i % 5 + 1}"))
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert_429(r, "password_failures")
            assert 170 <= int(r.headers["retry-after"]) <= 180  # 5/15 min: one every 3 min
    assert statuses == [401] * 5 + [429] * 45
    # The same identifier written differently is the same identifier.
    r = await http.post("/api/auth/password/login",
                        json={"identifier": " VICTIM@example.com", "password": PASSWORD})
    assert_429(r, "password_failures")
    # Other accounts still work, and the server is fine.
    r = await http.post("/api/auth/password/login",
                        json={"identifier": "someone@example.com", "password": "whatever1"})
    assert r.status_code == 401
    assert (await http.get("/healthz")).status_code == 200


async def test_a_successful_login_does_not_count_as_a_failure(server, http):
    person = await operator_sign_in(http, "ok@example.com")
    await http.post("/api/auth/password/change", json={"new_password": PASSWORD},
                    headers=person.headers)
    for i in range(8):
        r = await http.post("/api/auth/password/login",
                            json={"identifier": "ok@example.com", "password": PASSWORD},
                            headers=from_ip(f"198.51.100.{i + 1}"))
        assert r.status_code == 200, r.text
    http.cookies.clear()


async def test_password_logins_are_limited_per_ip(server, http):
    # 20/1m per address, counted on arrival (before any hashing): 21 at once, one refused.
    answers = await concurrently(21, lambda i: http.post(
        "/api/auth/password/login", json={"identifier": f"p{i}@example.com",
                                          "password": "whatever1"},
        headers=from_ip("203.0.113.20")))
    assert sorted(r.status_code for r in answers) == [401] * 20 + [429]
    assert_429(next(r for r in answers if r.status_code == 429), "password_login_ip")


async def test_wrong_current_passwords_are_limited_per_account(server, http):
    person = await operator_sign_in(http, "changer@example.com")
    await http.post("/api/auth/password/change", json={"new_password": PASSWORD},
                    headers=person.headers)
    for i in range(5):
        r = await http.post("/api/auth/password/change",
                            json={"current_password": f"wrong{i:04}", "new_password": "new pw 123"},
                            headers=person.headers)
        assert r.status_code == 403
    r = await http.post("/api/auth/password/change",
                        json={"current_password": PASSWORD, "new_password": "new pw 123"},
                        headers=person.headers)
    assert_429(r, "password_change_failures")


async def test_posting_and_ephemeral_events_are_limited_per_user(server, http):
    alice = await operator_sign_in(http, "alice@example.com")
    bob = await operator_sign_in(http, "bob@example.com")
    r = await http.post("/api/workspaces", json={"name": "Limits"}, headers=alice.headers)
    ws_id = r.json()["workspace"]["id"]
    ch = (await http.get(f"/api/workspaces/{ws_id}/channels", headers=alice.headers)
          ).json()["channels"][0]["id"]
    from tests.helpers import add_member

    await add_member(http, ws_id, bob.user_id)
    for i in range(5):
        r = await http.post(f"/api/channels/{ch}/messages", json={"body": f"m{i}"},
                            headers=alice.headers)
        assert r.status_code == 201
    r = await http.post(f"/api/channels/{ch}/messages", json={"body": "one too many"},
                        headers=alice.headers)
    assert_429(r, "messages")
    assert 10 <= int(r.headers["retry-after"]) <= 12  # one every 12 s
    r = await http.post(f"/api/channels/{ch}/messages", json={"body": "bob's turn"},
                        headers=bob.headers)
    assert r.status_code == 201
    page = (await http.get(f"/api/channels/{ch}/messages", headers=alice.headers)).json()
    assert "one too many" not in [m["body"] for m in page["messages"]]

    event = {"workspace_id": ws_id, "type": "typing.started", "channel_id": ch}
    for _ in range(3):
        r = await http.post("/api/realtime/ephemeral", json=event, headers=alice.headers)
        assert r.status_code == 202
    r = await http.post("/api/realtime/ephemeral", json=event, headers=alice.headers)
    assert_429(r, "ephemeral")
    r = await http.post("/api/realtime/ephemeral", json=event, headers=bob.headers)
    assert r.status_code == 202


async def test_local_requests_to_a_dev_server_are_exempt_but_others_are_not(config):
    cfg = config.replace(dev_bootstrap=True, rate_messages="2/1m")
    async with trio.open_nursery() as nursery:
        with trio.fail_after(20):
            running = await start_server(nursery, cfg)
        async with httpx.AsyncClient(base_url=running.url, timeout=20) as client:
            ws = (await client.get("/api/workspaces")).json()["workspaces"][0]["id"]
            ch = (await client.get(f"/api/workspaces/{ws}/channels")).json()["channels"][0]["id"]
            for i in range(5):  # the dev user, from this machine
                r = await client.post(f"/api/channels/{ch}/messages", json={"body": f"d{i}"})
                assert r.status_code == 201
            r = await client.post("/api/auth/magic/request", json={"email": "p@example.com"})
            token = r.json()["token"]
            r = await client.post("/api/auth/magic/consume", json={"token": token})
            person: dict[str, Any] = r.json()
            client.cookies.clear()
            r = await client.post("/api/workspaces", json={"name": "Mine"},
                                  headers={"Authorization": f"Bearer {person['token']}"})
            mine = r.json()["workspace"]["id"]
            ch2 = (await client.get(f"/api/workspaces/{mine}/channels", headers={
                "Authorization": f"Bearer {person['token']}"})).json()["channels"][0]["id"]
            remote = {"Authorization": f"Bearer {person['token']}", **from_ip("203.0.113.50")}
            statuses = [
                (await client.post(f"/api/channels/{ch2}/messages", json={"body": f"r{i}"},
                                   headers=remote)).status_code for i in range(3)]
            assert statuses == [201, 201, 429]
        running.stop.set()
