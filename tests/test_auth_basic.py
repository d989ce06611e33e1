"""The foundation's auth rules: precedence, cookies, CSRF, and dev sign-in only on loopback."""

from tests.conftest import sign_up


async def test_magic_link_is_single_use(http):
    r = await http.post("/api/auth/magic/request", json={"email": "Once@Example.com "})
    assert r.status_code == 201
    link = r.json()
    assert link["magic_link"]["email"] == "once@example.com"
    assert link["token"].startswith("mgt_")
    ok = await http.post("/api/auth/magic/consume", json={"token": link["token"]})
    assert ok.status_code == 200 and ok.json()["token"].startswith("sst_")
    http.cookies.clear()
    again = await http.post("/api/auth/magic/consume", json={"token": link["token"]})
    assert again.status_code == 400 and again.json()["code"] == "magic_link_invalid"


async def test_session_cookie_is_httponly_lax_and_works_for_reads(http):
    r = await http.post("/api/auth/magic/request", json={"email": "cookie@example.com"})
    r = await http.post("/api/auth/magic/consume", json={"token": r.json()["token"]})
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    assert "secure" not in set_cookie  # plain-HTTP loopback development only
    me = await http.get("/api/me")  # the client now sends the cookie
    assert me.json()["user"]["id"] == r.json()["user"]["id"]
    http.cookies.clear()


async def test_cookie_writes_need_the_csrf_header_and_same_origin(http):
    person = await sign_up(http, "csrf@example.com")
    cookie = {"Cookie": f"cc_session={person.token}"}
    r = await http.post("/api/workspaces", json={"name": "A"}, headers=cookie)
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = await http.post("/api/workspaces", json={"name": "B"}, headers={
        **cookie, "X-ClickClack-CSRF": "1", "Origin": "https://evil.example"})
    assert r.status_code == 403
    r = await http.post("/api/workspaces", json={"name": "C"}, headers={
        **cookie, "X-ClickClack-CSRF": "1", "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = await http.post("/api/workspaces", json={"name": "D"},
                        headers={**cookie, "X-ClickClack-CSRF": "1"})
    assert r.status_code == 201
    # Bearer requests are exempt.
    r = await http.post("/api/workspaces", json={"name": "E"}, headers=person.headers)
    assert r.status_code == 201
    names = [w["name"] for w in (await http.get("/api/workspaces", headers=person.headers)
                                 ).json()["workspaces"]]
    assert names == ["D", "E"]  # nothing was created by the refused requests


async def test_duplicate_session_cookies_are_refused(http):
    person = await sign_up(http, "dup@example.com")
    r = await http.get("/api/me", headers={
        "Cookie": f"cc_session={person.token}; cc_session={person.token}"})
    assert r.status_code == 401 and r.json()["code"] == "duplicate_cookie"


async def test_bearer_beats_cookie(http):
    alice = await sign_up(http, "alice@example.com")
    bob = await sign_up(http, "bob@example.com")
    r = await http.get("/api/me", headers={**alice.headers, "Cookie": f"cc_session={bob.token}"})
    assert r.json()["user"]["id"] == alice.user_id


async def test_dev_sign_in_is_refused_when_the_request_is_not_local(http):
    for headers in ({"X-Forwarded-For": "203.0.113.9"}, {"Host": "chat.example.com"},
                    {"Forwarded": "for=198.51.100.7"}, {"Origin": "https://evil.example"}):
        r = await http.get("/api/me", headers=headers)
        assert r.status_code == 401, headers
        r = await http.post("/api/auth/magic/request", json={"email": "x@example.com"},
                            headers=headers)
        assert r.status_code == 403, headers


async def test_sign_in_methods_offer_dev_sign_in_only_to_local_requests(http):
    r = await http.get("/api/auth/methods")
    assert r.status_code == 200
    assert r.json() == {"dev_sign_in": True, "magic_link_mail": False, "password": False}
    r = await http.get("/api/auth/methods", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.json()["dev_sign_in"] is False


async def test_impersonation_header_selects_the_user(http):
    carol = await sign_up(http, "carol@example.com", "Carol")
    r = await http.get("/api/me", headers={"X-ClickClack-User": carol.user_id})
    assert r.json()["user"]["display_name"] == "Carol"
    r = await http.get("/api/me", headers={"X-ClickClack-User": "usr_nobody"})
    assert r.status_code == 401


async def test_logout_takes_a_bodyless_post(http):
    """Issue 9: logout has no body, so a POST without one (and without Content-Type) is fine;
    a body of another type is still 415."""
    person = await sign_up(http, "bodyless@example.com")
    r = await http.post("/api/auth/logout", headers=person.headers)
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await http.get("/api/me", headers=person.headers)).status_code == 401
    r = await http.post("/api/auth/logout", content=b"x",
                        headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


async def test_logout_revokes_the_session(http):
    person = await sign_up(http, "bye@example.com")
    r = await http.post("/api/auth/logout", json={}, headers=person.headers)
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await http.get("/api/me", headers=person.headers)).status_code == 401
