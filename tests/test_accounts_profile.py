"""The caller's profile (contract section 4): GET /api/me's extra fields and every PATCH rule."""

from __future__ import annotations

import pytest

from tests.conftest import bootstrap_ids, sign_up, tail_cursor

KEY = "u" + "A1b2C3d4E5" * 2 + "f6G7h8J9k"  # 30 letters and digits


async def patch(http, body, **kw):
    return await http.patch("/api/me", json=body, **kw)


async def me(http, **kw):
    r = await http.get("/api/me", **kw)
    assert r.status_code == 200, r.text
    return r.json()["user"]


async def test_me_has_the_profile_fields_with_defaults(http):
    user = await me(http)
    assert user["display_name"] == "Local Captain"
    assert user["password_enrolled"] is False
    assert user["notification_settings"] == {"pushover_enabled": False, "pushover_user_key": ""}
    assert user["appearance_preferences"] == {}
    for absent in ("owner_user_id", "former_handle", "deleted_at"):
        assert absent not in user  # optional fields are omitted, never null


async def test_display_name_is_trimmed_non_empty_and_at_most_80_characters(http):
    r = await patch(http, {"display_name": "  Ada Lovelace  "})
    assert r.status_code == 200 and r.json()["user"]["display_name"] == "Ada Lovelace"
    assert (await me(http))["display_name"] == "Ada Lovelace"
    for bad, code in (("", "display_name_required"), ("   ", "display_name_required"),
                      ("x" * 81, "display_name_too_long"),
                      ("é" * 81, "display_name_too_long"),
                      (" " + "x" * 80, "display_name_too_long")):  # counted before trimming
        r = await patch(http, {"display_name": bad})
        assert r.status_code == 400 and r.json()["code"] == code, bad
    # characters (code points), as the description's maxLength counts them (issue 9)
    assert (await patch(http, {"display_name": "é" * 80})).status_code == 200  # 160 bytes
    assert (await patch(http, {"display_name": "x" * 80})).status_code == 200
    assert (await me(http))["display_name"] == "x" * 80


@pytest.mark.parametrize(("given", "stored"), [
    (" @Ada_Lovelace ", "ada_lovelace"),
    ("ADA", "ada"),
    ("a1", "a1"),
    ("9-lives", "9-lives"),
    ("x" * 32, "x" * 32),
    ("", ""),
])
async def test_handle_is_normalized(http, given, stored):
    r = await patch(http, {"handle": given})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["handle"] == stored
    assert (await me(http))["handle"] == stored


@pytest.mark.parametrize("bad", ["a", "@a", "-ab", "_ab", "ab c", "@@ab", "x" * 33, "ad!a",
                                 "émile", "a.b"])
async def test_invalid_handles_are_refused(http, bad):
    r = await patch(http, {"handle": bad})
    assert r.status_code == 400 and r.json()["code"] == "handle_invalid", bad


async def test_handles_are_unique_and_clearing_frees_one(http):
    other = await sign_up(http, "other@example.com")
    assert (await patch(http, {"handle": "captain"})).status_code == 200
    for taken in ("captain", "@Captain", " CAPTAIN "):
        r = await patch(http, {"handle": taken}, headers=other.headers)
        assert r.status_code == 409 and r.json()["code"] == "handle_taken", taken
    assert (await patch(http, {"handle": "captain"})).status_code == 200  # own handle again
    assert (await patch(http, {"handle": ""})).status_code == 200
    r = await patch(http, {"handle": "captain"}, headers=other.headers)
    assert r.status_code == 200 and r.json()["user"]["handle"] == "captain"
    # Any number of people may have no handle.
    assert (await patch(http, {"handle": "", "display_name": "Cap"})).status_code == 200


async def test_avatar_url_rules_and_the_gravatar_fallback(http):
    person = await sign_up(http, "pic@example.com")
    h = person.headers
    gravatar = (await me(http, headers=h))["avatar_url"]
    assert gravatar.startswith("https://www.gravatar.com/avatar/")
    r = await patch(http, {"avatar_url": "https://img.example.com/a.png"}, headers=h)
    assert r.status_code == 200 and r.json()["user"]["avatar_url"] == (
        "https://img.example.com/a.png")
    ok_500 = "http://h.example/" + "a" * (500 - len("http://h.example/"))
    assert (await patch(http, {"avatar_url": ok_500}, headers=h)).status_code == 200
    for bad, code in (("ftp://img.example.com/a.png", "avatar_url_invalid"),
                      ("https://", "avatar_url_invalid"),
                      ("javascript:alert(1)", "avatar_url_invalid"),
                      ("img.example.com/a.png", "avatar_url_invalid"),
                      ("https://exa mple.com/a.png", "avatar_url_invalid"),
                      ("https://[::1/a.png", "avatar_url_invalid"),
                      # issue 9: exactly the declared pattern: a host name, no user info or
                      # IPv6 literal, no control characters
                      ("https://user@img.example.com/a.png", "avatar_url_invalid"),
                      ("https://[::1]/a.png", "avatar_url_invalid"),
                      ("https://img.example.com/a\x01.png", "avatar_url_invalid"),
                      (" " + ok_500, "avatar_url_too_long"),
                      (ok_500 + "a", "avatar_url_too_long")):
        r = await patch(http, {"avatar_url": bad}, headers=h)
        assert r.status_code == 400 and r.json()["code"] == code, bad
    r = await patch(http, {"avatar_url": " HTTPS://img.example.com:8443/b.png?x=1 "},
                    headers=h)
    assert r.json()["user"]["avatar_url"] == "HTTPS://img.example.com:8443/b.png?x=1"
    r = await patch(http, {"avatar_url": ""}, headers=h)
    assert r.status_code == 200 and r.json()["user"]["avatar_url"] == gravatar


async def test_notification_settings(http):
    r = await patch(http, {"notification_settings": {"pushover_enabled": True}})
    assert r.status_code == 400 and r.json()["code"] == "pushover_key_required"
    for bad in (KEY[:-1], KEY + "x", KEY[:-1] + "!"):
        r = await patch(http, {"notification_settings": {"pushover_user_key": bad}})
        assert r.status_code == 400 and r.json()["code"] == "pushover_key_invalid", bad
    r = await patch(http, {"notification_settings": {"pushover_enabled": True,
                                                     "pushover_user_key": KEY}})
    assert r.status_code == 200
    assert r.json()["user"]["notification_settings"] == {"pushover_enabled": True,
                                                         "pushover_user_key": KEY}
    # A patch: the key stays when only the switch changes, and vice versa.
    r = await patch(http, {"notification_settings": {"pushover_enabled": False}})
    assert r.json()["user"]["notification_settings"] == {"pushover_enabled": False,
                                                         "pushover_user_key": KEY}
    r = await patch(http, {"notification_settings": {"pushover_enabled": True}})
    assert r.status_code == 200
    r = await patch(http, {"notification_settings": {"pushover_user_key": ""}})
    assert r.status_code == 400 and r.json()["code"] == "pushover_key_required"
    r = await patch(http, {"notification_settings": {"pushover_enabled": False,
                                                     "pushover_user_key": ""}})
    assert r.json()["user"]["notification_settings"] == {"pushover_enabled": False,
                                                         "pushover_user_key": ""}


async def test_appearance_preferences_patch_and_reset(http):
    r = await patch(http, {"appearance_preferences": {"color_mode": "dark"}})
    assert r.status_code == 200
    assert r.json()["user"]["appearance_preferences"] == {"color_mode": "dark"}
    r = await patch(http, {"appearance_preferences": {"board_theme": "moss", "density": "compact",
                                                      "message_layout": "outlined"}})
    assert r.json()["user"]["appearance_preferences"] == {
        "color_mode": "dark", "board_theme": "moss", "message_layout": "outlined",
        "density": "compact"}
    # The default word and "" both reset a field.
    r = await patch(http, {"appearance_preferences": {"color_mode": "system", "board_theme": "",
                                                      "message_layout": "standard",
                                                      "density": "comfortable"}})
    assert r.json()["user"]["appearance_preferences"] == {}
    for field, value in (("color_mode", "neon"), ("board_theme", "Moss"),
                         ("message_layout", "grid"), ("density", 3)):
        r = await patch(http, {"appearance_preferences": {field: value}})
        assert r.status_code == 400, (field, value)
    assert (await me(http))["appearance_preferences"] == {}


async def test_omitted_fields_stay_and_a_bad_field_changes_nothing(http):
    assert (await patch(http, {"display_name": "Keep", "handle": "keep",
                               "appearance_preferences": {"color_mode": "light"}})
            ).status_code == 200
    before = await me(http)
    r = await patch(http, {})
    assert r.status_code == 200 and r.json()["user"] == before
    r = await patch(http, {"display_name": "Changed", "handle": "bad handle!"})
    assert r.status_code == 400
    assert await me(http) == before  # all or nothing
    r = await patch(http, {"display_name": "Changed", "unknown_field": 1})
    assert r.status_code == 200
    assert {**before, "display_name": "Changed"} == await me(http)


async def test_a_profile_change_emits_no_event(http):
    ws_id, _ = await bootstrap_ids(http)
    start = await tail_cursor(http, ws_id)
    assert (await patch(http, {"display_name": "Quiet", "handle": "quiet"})).status_code == 200
    assert await tail_cursor(http, ws_id) == start


async def test_profile_patch_needs_json_and_cookie_csrf(http):
    person = await sign_up(http, "csrf-profile@example.com")
    r = await http.patch("/api/me", content=b"display_name=x",
                         headers={**person.headers, "Content-Type": "text/plain"})
    assert r.status_code == 415
    r = await http.patch("/api/me", json={"display_name": "x"},
                         headers={"Cookie": f"cc_session={person.token}"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = await http.patch("/api/me", json={"display_name": "Via Cookie"},
                         headers={"Cookie": f"cc_session={person.token}",
                                  "X-ClickClack-CSRF": "1"})
    assert r.status_code == 200 and r.json()["user"]["display_name"] == "Via Cookie"
    r = await http.patch("/api/me", json={"display_name": "x"},
                         headers={"Authorization": "Bearer sst_invalid"})
    assert r.status_code == 401
