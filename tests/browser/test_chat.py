"""Two people chat in two browser contexts against a real server: live delivery without reload,
recovery after the websocket is cut, and hostile input that executes nothing (CSP on)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import (
    CSRF,
    Watched,
    bootstrap_ids,
    join,
    magic_token,
    open_page,
    sign_up,
)

WS_URL = re.compile(r".*/api/realtime/ws\b.*")


def composer(page: Any) -> Any:
    return page.get_by_role("textbox", name=re.compile(r"^Message #"))


def log(page: Any) -> Any:
    return page.get_by_role("log")


def send(page: Any, text: str) -> None:
    box = composer(page)
    box.fill(text)
    box.press("Enter")


def captain_page(browser: Any, server: LiveServer) -> Watched:
    """Local Captain, through the sign-in page's one-click local (dev bootstrap) sign-in."""
    ctx = browser.new_context()
    w = open_page(ctx, server.url + "/login")
    w.page.get_by_role("button", name="Sign in as Local Captain").click()
    expect(w.page.get_by_role("heading", level=1, name="#general")).to_be_visible()
    expect(w.page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    return w


def member_page(browser: Any, server: LiveServer, email: str, name: str,
                route_ws: Any = None) -> Watched:
    """A second person: signed up, made a member, signed in through a magic link."""
    person = sign_up(server, email, name)
    ws, _ = bootstrap_ids(server)
    join(server, ws, person)
    ctx = browser.new_context()
    if route_ws is not None:
        ctx.route_web_socket(WS_URL, route_ws)
    w = open_page(ctx, f"{server.url}/login?magic_token={magic_token(server, email)}")
    expect(w.page.get_by_role("heading", level=1, name="#general")).to_be_visible()
    assert "magic_token" not in w.page.url
    expect(w.page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    return w


def test_two_people_see_each_other_live(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "bee@example.com", "Bee Tester")

    # A posts; B sees it without reloading.
    send(a.page, "Hello from the captain")
    expect(log(b.page).get_by_text("Hello from the captain")).to_be_visible()

    # B types (A sees the typing indicator), then sends two lines (Shift+Enter), Enter sends.
    box = composer(b.page)
    box.type("line one")
    expect(a.page.get_by_text("Bee Tester is typing…")).to_be_visible()
    box.press("Shift+Enter")
    box.type("line two")
    expect(box).to_have_value("line one\nline two")
    box.press("Enter")
    expect(box).to_have_value("")
    expect(log(a.page).get_by_text("line two")).to_be_visible()
    expect(a.page.get_by_text("Bee Tester is typing…")).to_have_count(0)

    # A creates a channel; it appears in B's sidebar live, and A's message there makes a badge.
    a.page.get_by_role("button", name="Create a channel").click()
    a.page.get_by_label("Name").fill("Release Plan")
    a.page.get_by_role("button", name="Create", exact=True).click()
    expect(a.page.get_by_role("heading", level=1, name="#release-plan")).to_be_visible()
    channel_link = b.page.get_by_role("link", name=re.compile(r"release-plan"))
    expect(channel_link).to_be_visible()
    send(a.page, "Plan: ship the web app")
    expect(channel_link.get_by_label("1 unread")).to_be_visible()

    # Drafts are kept per channel; Ctrl+K switches channels.
    composer(b.page).fill("half-written thought")
    b.page.keyboard.press("Control+k")
    b.page.get_by_role("combobox", name="Jump to a channel").fill("release")
    b.page.keyboard.press("Enter")
    expect(b.page.get_by_role("heading", level=1, name="#release-plan")).to_be_visible()
    expect(log(b.page).get_by_text("Plan: ship the web app")).to_be_visible()
    expect(channel_link.get_by_label("1 unread")).to_have_count(0)
    expect(composer(b.page)).to_have_value("")
    b.page.get_by_role("link", name=re.compile(r"general")).click()
    expect(composer(b.page)).to_have_value("half-written thought")

    # Reload: history is there, the draft too, and nothing was duplicated.
    b.page.reload()
    expect(log(b.page).get_by_text("Hello from the captain")).to_have_count(1)
    expect(composer(b.page)).to_have_value("half-written thought")

    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_message_sent_while_disconnected_appears_after_reconnect(browser, live_server):
    a = captain_page(browser, live_server)
    cut = {"on": False}
    sockets: list[tuple[Any, Any]] = []

    def route(ws: Any) -> None:
        if cut["on"]:
            ws.close(code=1013, reason="test: network is down")
            return
        sockets.append((ws, ws.connect_to_server()))

    b = member_page(browser, live_server, "cee@example.com", "Cee Offline", route_ws=route)
    send(a.page, "before the cut")
    expect(log(b.page).get_by_text("before the cut")).to_be_visible()

    # Cut B's realtime connection (both ends) and keep it down.
    cut["on"] = True
    for page_side, server_side in sockets:
        server_side.close()
        page_side.close(code=1006, reason="test: cut")
    expect(b.page.locator(".conn")).to_contain_text(re.compile(r"Reconnecting|Connecting"))

    send(a.page, "sent while you were away")
    expect(log(a.page).get_by_text("sent while you were away")).to_be_visible()
    expect(log(b.page).get_by_text("sent while you were away")).to_have_count(0)

    # The network comes back ("online" fires): B reconnects from its cursor and catches up.
    cut["on"] = False
    b.page.context.set_offline(True)
    b.page.context.set_offline(False)
    expect(log(b.page).get_by_text("sent while you were away")).to_be_visible()
    expect(b.page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    send(a.page, "and live again")
    expect(log(b.page).get_by_text("and live again")).to_be_visible()
    expect(log(b.page).get_by_text("sent while you were away")).to_have_count(1)
    assert a.problems == [] and b.problems == [], a.problems + b.problems


HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "[click me](javascript:window.__pwned=1)",
    '<script>window.__pwned=1</script><svg onload="window.__pwned=1">',
    '[x](JaVaScRiPt:window.__pwned=1) <a href="javascript:window.__pwned=1">y</a>',
]


def test_hostile_messages_execute_nothing(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "dee@example.com", "Dee Reader")
    for body in HOSTILE[:2]:
        send(a.page, body)  # through the composer
    _, general = bootstrap_ids(live_server)
    with live_server.client() as api:  # and straight through the API
        for i, body in enumerate(HOSTILE[2:]):
            r = api.post(f"/api/channels/{general}/messages", headers=CSRF,
                         json={"body": body, "nonce": f"hostile-{i}"})
            assert r.status_code == 201, r.text
        send(a.page, "[a real link](https://example.com/docs)")

    for w in (a, b):
        page = w.page
        link = log(page).get_by_role("link", name="a real link")
        expect(link).to_be_visible()  # the sent message itself, not its pending row
        expect(log(page).get_by_text('<img src=x onerror="window.__pwned=1">')).to_be_visible()
        expect(log(page).get_by_text("<script>window.__pwned=1</script>")).to_be_visible()
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("[role=log] img, [role=log] script, [role=log] svg").count() == 0
        assert page.locator("[role=log] [onerror], [role=log] [onload]").count() == 0
        hrefs = page.locator("[role=log] a").evaluate_all("els => els.map(e => e.href)")
        assert hrefs == ["https://example.com/docs"], hrefs
        assert "noopener" in (link.get_attribute("rel") or "")
        # Clicking the would-be javascript: link does nothing either.
        log(page).get_by_text("click me").first.click()
        assert page.evaluate("typeof window.__pwned") == "undefined"
    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_history_pages_in_both_ways_with_the_unread_divider(browser, live_server):
    ws, _ = bootstrap_ids(live_server)
    ada = sign_up(live_server, "ada@example.com", "Ada Lovelace")
    join(live_server, ws, ada)
    with live_server.client() as captain, live_server.client(ada.token) as api:
        r = captain.post(f"/api/workspaces/{ws}/channels", headers=CSRF, json={"name": "history"})
        assert r.status_code == 201, r.text
        channel = r.json()["channel"]
        for i in range(1, 121):
            r = api.post(f"/api/channels/{channel['id']}/messages", headers=CSRF,
                         json={"body": f"history note {i}", "nonce": f"h{i}"})
            assert r.status_code == 201, r.text
        r = captain.post(f"/api/channels/{channel['id']}/read", headers=CSRF, json={"seq": 100})
        assert r.status_code == 200, r.text
    ctx = browser.new_context()
    w = open_page(ctx, f"{live_server.url}/w/{ws}/c/{channel['route_id']}")
    page = w.page
    expect(page.get_by_role("heading", level=1, name="#history")).to_be_visible()
    # Opens at the first unread message, below the "new messages" divider.
    divider = log(page).locator(".divider")
    expect(divider).to_be_visible()
    expect(divider.locator("xpath=following-sibling::li[1]")).to_contain_text("history note 101")
    expect(log(page).get_by_text("history note 101", exact=True)).to_be_in_viewport()
    # Not opened at the beginning (older pages may already be prefetched above the view: how
    # many depends on the rows' height, i.e. on the fonts installed).
    expect(log(page).locator('li.msg[data-seq="1"]')).not_to_be_in_viewport()
    # Scrolling up loads older pages until the beginning of the channel.
    page.wait_for_function("""() => {
        const s = document.querySelector('.scroller');
        s.scrollTop = 0;
        return !!document.querySelector('li.msg[data-seq="1"]');
    }""", polling=250, timeout=20_000)
    expect(page.get_by_text("This is the very beginning of #history.")).to_be_visible()
    expect(log(page).locator("li.msg")).to_have_count(120)
    # Back to the newest; Esc marks everything read and removes the divider.
    page.get_by_role("button", name="Jump to latest").click()
    expect(log(page).get_by_text("history note 120", exact=True)).to_be_in_viewport()
    composer(page).press("Escape")
    expect(divider).to_have_count(0)
    assert w.problems == [], w.problems
