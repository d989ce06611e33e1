"""The web app's periphery against a real server: message search (highlights as <mark>, a
click jumps to the message, hostile text stays text), invites made in the UI and accepted by a
second person in another browser context, and the emoji picker behind "Add reaction"."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import CSRF, bootstrap_ids, magic_token, open_page, sign_up
from tests.browser.test_chat import captain_page, log, send


def _channel(server: LiveServer, name: str) -> dict[str, Any]:
    ws, _ = bootstrap_ids(server)
    with server.client() as api:
        r = api.post(f"/api/workspaces/{ws}/channels", headers=CSRF, json={"name": name})
        assert r.status_code == 201, r.text
        return dict(r.json()["channel"])


def _post(server: LiveServer, channel_id: str, body: str, nonce: str) -> str:
    with server.client() as api:
        r = api.post(f"/api/channels/{channel_id}/messages", headers=CSRF,
                     json={"body": body, "nonce": nonce})
        assert r.status_code == 201, r.text
        return str(r.json()["message"]["id"])


def _open_search(page: Any, query: str) -> Any:
    page.get_by_role("button", name="Search messages").click()
    box = page.get_by_role("searchbox", name="Search messages")
    expect(box).to_be_focused()
    box.fill(query)
    box.press("Enter")
    return page.get_by_role("list", name="Search results")


def test_search_highlights_the_word_and_jumps_to_the_message(browser, live_server):
    channel = _channel(live_server, "search-target")
    target = _post(live_server, channel["id"], "😀 the zebracorn migration is done", "zc-0")
    # Enough later messages that the target is not in the channel's newest page.
    filler = [_post(live_server, channel["id"], f"filler note {i}", f"zc-{i}")
              for i in range(1, 71)]

    a = captain_page(browser, live_server)  # on #general
    page = a.page
    results = _open_search(page, "zebracorn")
    hit = results.locator(f'[data-message-id="{target}"]')
    expect(hit).to_have_count(1)
    # The word is highlighted (the astral 😀 before it must not shift the code-point range).
    expect(hit.locator("mark")).to_have_text(["zebracorn"])
    expect(hit).to_contain_text("#search-target")
    expect(hit).to_contain_text("Local Captain")
    expect(page.get_by_role("status").filter(has_text="1 result")).to_be_visible()

    hit.click()
    expect(page.get_by_role("heading", level=1, name="#search-target")).to_be_visible()
    row = page.locator(f"#msg-{target}")
    expect(row).to_have_class(re.compile(r"\bhighlight\b"))
    expect(row).to_be_in_viewport()
    expect(log(page).get_by_text("filler note 70")).to_have_count(1)  # the channel itself opened

    # An operator query: nothing from #general matches in:#search-target.
    box = page.get_by_role("searchbox", name="Search messages")
    box.fill("in:#search-target filler note 7")
    box.press("Enter")
    expect(results).to_contain_text("filler note 7")
    expect(results.locator("[data-message-id]")).to_have_count(1)
    expect(results.locator("mark")).to_have_text(["filler", "note", "7"])
    # The keyboard: Down from the query box to the result, Enter opens it.
    box.press("ArrowDown")
    expect(results.locator(f'[data-message-id="{filler[6]}"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#msg-{filler[6]}")).to_have_class(re.compile(r"\bhighlight\b"))
    box.focus()

    # Esc closes the panel.
    box.press("Escape")
    expect(page.get_by_role("searchbox", name="Search messages")).to_have_count(0)
    # Ctrl+Shift+F opens it again, focused, from anywhere (also the message box).
    page.get_by_role("textbox", name=re.compile(r"^Message #")).focus()
    page.keyboard.press("Control+Shift+F")
    expect(page.get_by_role("searchbox", name="Search messages")).to_be_focused()
    assert a.problems == [], a.problems


def test_search_results_render_hostile_text_as_text(browser, live_server):
    _, general = bootstrap_ids(live_server)
    hostile = ('<img src=x onerror="window.__pwned=1"> quokkabait '
               '<script>window.__pwned=2</script> <b onmouseover="window.__pwned=3">bold</b>')
    target = _post(live_server, general, hostile, "hostile-search")

    a = captain_page(browser, live_server)
    page = a.page
    results = _open_search(page, "quokkabait")
    hit = results.locator(f'[data-message-id="{target}"]')
    expect(hit.locator("mark")).to_have_text(["quokkabait"])
    expect(hit).to_contain_text('<img src=x onerror="window.__pwned=1">')
    expect(hit).to_contain_text("<script>window.__pwned=2</script>")
    assert results.locator("img, script, b, svg, [onerror], [onmouseover]").count() == 0
    hit.hover()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert a.problems == [], a.problems


def test_admin_creates_an_invite_and_a_newcomer_accepts_it(browser, live_server):
    a = captain_page(browser, live_server)
    page = a.page
    page.get_by_role("button", name="+ Invite people").click()
    dialog = page.get_by_role("dialog", name="Invite people")
    dialog.get_by_label("Can be used").select_option("5")
    dialog.get_by_role("button", name="Create invite link").click()
    link_box = dialog.get_by_label(re.compile(r"^Invite link"))
    expect(link_box).to_have_value(re.compile(r"/invite/cci_[0-9a-z]+$"))
    link = link_box.input_value()
    assert link.startswith(live_server.url + "/invite/")
    open_invites = dialog.get_by_role("list", name="Open invites")
    expect(open_invites.get_by_text("Used 0 of 5")).to_be_visible()
    dialog.get_by_role("button", name="Done").click()

    # A newcomer (signed in, in no workspace yet) opens the link and joins.
    sign_up(live_server, "nia@example.com", "Nia Newcomer")
    ctx = browser.new_context()
    token = magic_token(live_server, "nia@example.com")
    b = open_page(ctx, f"{live_server.url}/login?magic_token={token}")
    expect(b.page.get_by_text("You are not in any workspace yet")).to_be_visible()
    b.page.goto(link)
    join_dialog = b.page.get_by_role("dialog", name="Join a workspace")
    expect(join_dialog.get_by_role("heading", name=re.compile(r"^Join "))).to_be_visible()
    join_dialog.get_by_role("button", name="Join workspace").click()
    expect(b.page.get_by_role("heading", level=1, name="#general")).to_be_visible()
    expect(join_dialog).to_have_count(0)

    # The captain's list shows the use; a revoked link no longer works.
    page.get_by_role("button", name="+ Invite people").click()
    dialog = page.get_by_role("dialog", name="Invite people")
    open_invites = dialog.get_by_role("list", name="Open invites")
    row = open_invites.locator("li").filter(has_text="Used 1 of 5")
    expect(row).to_have_count(1)
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(row).to_have_count(0)
    with live_server.client() as api:
        assert api.get("/api/invites/" + link.rsplit("/", 1)[1]).status_code == 404
    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_emoji_picker_search_and_pick_reacts(browser, live_server):
    a = captain_page(browser, live_server)
    page = a.page
    send(page, "react to me please")
    row = log(page).locator("li.msg").filter(has_text="react to me please")
    expect(row).to_have_count(1)
    row.hover()
    row.get_by_role("button", name="Add reaction").click()
    picker = page.get_by_role("dialog", name="Emoji picker")
    search = picker.get_by_role("searchbox", name="Search emoji")
    expect(search).to_be_focused()
    search.fill("thumbs")
    grid = picker.get_by_role("grid")
    expect(grid.get_by_role("gridcell", name="thumbs up", exact=True)).to_be_visible()
    expect(grid.get_by_role("gridcell", name="thumbs down", exact=True)).to_be_visible()
    expect(grid.get_by_role("gridcell", name="grinning face")).to_have_count(0)
    # Keyboard: into the grid, first cell is "thumbs up"; Enter picks it.
    search.press("ArrowDown")
    expect(grid.get_by_role("gridcell", name="thumbs up", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(picker).to_have_count(0)
    expect(row.get_by_role("button", name=re.compile(r"^👍 1 reaction"))).to_be_visible()

    # Recently used comes first next time; Esc closes without picking.
    row.hover()
    row.get_by_role("button", name="Add reaction").click()
    picker = page.get_by_role("dialog", name="Emoji picker")
    recent_tab = picker.get_by_role("tab", name="Recently used")
    expect(recent_tab).to_have_attribute("aria-selected", "true")
    expect(picker.get_by_role("gridcell", name="thumbs up", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    assert a.problems == [], a.problems


def test_search_and_emoji_picker_at_phone_width(browser, live_server):
    _, general = bootstrap_ids(live_server)
    target = _post(live_server, general, "the wombatwire rollout notes", "phone-0")
    for i in range(1, 41):
        _post(live_server, general, f"phone filler {i}", f"phone-{i}")
    a = captain_page(browser, live_server)
    page = a.page
    page.set_viewport_size({"width": 375, "height": 740})
    results = _open_search(page, "wombatwire")
    hit = results.locator(f'[data-message-id="{target}"]')
    expect(hit).to_be_in_viewport()
    box = hit.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    hit.click()
    # The full-screen panel gets out of the way; the message is shown.
    expect(page.get_by_role("searchbox", name="Search messages")).to_have_count(0)
    expect(page.locator(f"#msg-{target}")).to_be_in_viewport()

    row = log(page).locator("li.msg").filter(has_text="phone filler 40")
    row.hover()
    row.get_by_role("button", name="Add reaction").click()
    picker = page.get_by_role("dialog", name="Emoji picker")
    expect(picker.get_by_role("searchbox", name="Search emoji")).to_be_focused()
    pbox = picker.bounding_box()
    assert pbox is not None and pbox["x"] >= 0 and pbox["x"] + pbox["width"] <= 375, pbox
    page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    assert a.problems == [], a.problems
