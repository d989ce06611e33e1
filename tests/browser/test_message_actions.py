"""Message actions in two browsers against a real server: threads, reactions (through the emoji
picker), edit (Up arrow) and delete, direct messages, and file uploads -- each seen live by the
other person.  Synchronisation is by locators and expect(), never by sleeping."""

from __future__ import annotations

import base64
import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.test_chat import captain_page, composer, log, member_page, send

# A 1x1 PNG.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def timeline(page: Any) -> Any:
    """The conversation's message list (the thread panel has a log of its own)."""
    return page.get_by_role("log", name=re.compile(r"^Messages in "))


def row(page: Any, text: str) -> Any:
    """The timeline row (li.msg) holding this text."""
    return timeline(page).locator("li.msg").filter(has_text=text)


def action(page: Any, text: str, name: str) -> Any:
    """A button in a message's action bar (shown on hover)."""
    r = row(page, text)
    r.hover()
    return r.get_by_role("toolbar", name="Message actions").get_by_role("button", name=name)


def thread_panel(page: Any) -> Any:
    return page.get_by_role("complementary", name="Thread")


def replies(panel: Any, text: str) -> Any:
    """A reply in a thread panel's own log."""
    return panel.get_by_role("log", name="Replies").get_by_text(text)


def button(page: Any, text: str, name: str) -> Any:
    """A button in the timeline row holding ``text`` whose name starts with ``name``."""
    return row(page, text).get_by_role("button", name=re.compile("^" + re.escape(name)))


def test_thread_reply_is_seen_live(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "thread@example.com", "Thea Threader")

    send(a.page, "Where do we ship from?")
    expect(row(b.page, "Where do we ship from?")).to_be_visible()

    # A opens the thread from the action bar and replies.
    action(a.page, "Where do we ship from?", "Reply in thread").click()
    panel = thread_panel(a.page)
    expect(panel).to_be_visible()
    expect(panel.get_by_text("Where do we ship from?")).to_be_visible()
    box = panel.get_by_role("textbox", name="Reply in thread")
    box.fill("From the main branch")
    box.press("Enter")
    expect(replies(panel, "From the main branch")).to_be_visible()

    # B sees the reply count on the root, live, and opens the thread.
    replies_link = button(b.page, "Where do we ship from?", "1 reply")
    expect(replies_link).to_be_visible()
    replies_link.click()
    b_panel = thread_panel(b.page)
    expect(replies(b_panel, "From the main branch")).to_be_visible()

    # A second reply arrives in B's open panel without a reload; the count follows.
    box.fill("And tag it first")
    box.press("Enter")
    expect(replies(b_panel, "And tag it first")).to_be_visible()
    expect(button(b.page, "Where do we ship from?", "2 replies")).to_be_visible()
    # Replies stay out of the channel timeline.
    expect(timeline(b.page).get_by_text("And tag it first")).to_have_count(0)

    # Esc closes the panel.
    b_panel.get_by_role("textbox", name="Reply in thread").press("Escape")
    expect(b_panel).to_have_count(0)

    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_reaction_through_the_picker_is_seen_live(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "react@example.com", "Rea Actor")

    send(a.page, "Ship it on Friday?")
    expect(row(b.page, "Ship it on Friday?")).to_be_visible()

    # B reacts through the emoji picker (search, then pick).
    action(b.page, "Ship it on Friday?", "Add reaction").click()
    picker = b.page.get_by_role("dialog", name="Emoji picker")
    expect(picker).to_be_visible()
    picker.get_by_role("searchbox", name="Search emoji").fill("thumbs up")
    picker.get_by_role("gridcell", name="thumbs up", exact=True).click()
    expect(picker).to_have_count(0)

    mine = button(b.page, "Ship it on Friday?", "👍 1 reaction")
    expect(mine).to_have_attribute("aria-pressed", "true")
    theirs = button(a.page, "Ship it on Friday?", "👍 1 reaction")
    expect(theirs).to_have_attribute("aria-pressed", "false")

    # A adds the same reaction with the chip: 2, pressed for A, and B sees 2 live.
    theirs.click()
    expect(button(a.page, "Ship it on Friday?", "👍 2 reactions")
           ).to_have_attribute("aria-pressed", "true")
    b_chip = button(b.page, "Ship it on Friday?", "👍 2 reactions")
    expect(b_chip).to_have_attribute("aria-pressed", "true")

    # B takes theirs back: 1 on both sides, not pressed for B.
    b_chip.click()
    expect(button(b.page, "Ship it on Friday?", "👍 1 reaction")
           ).to_have_attribute("aria-pressed", "false")
    expect(button(a.page, "Ship it on Friday?", "👍 1 reaction")
           ).to_have_attribute("aria-pressed", "true")

    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_edit_with_up_arrow_and_delete_are_seen_live(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "edit@example.com", "Ed Itor")

    send(a.page, "Meeting at 10")
    expect(row(b.page, "Meeting at 10")).to_be_visible()

    # Up arrow in the empty message box edits the last message; Enter saves.
    box = composer(a.page)
    expect(box).to_have_value("")
    box.press("ArrowUp")
    editor = a.page.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Meeting at 10")
    editor.fill("Meeting at 11")
    editor.press("Enter")
    expect(editor).to_have_count(0)
    expect(row(a.page, "Meeting at 11")).to_contain_text("(edited)")

    expect(row(b.page, "Meeting at 11")).to_contain_text("(edited)")
    expect(log(b.page).get_by_text("Meeting at 10")).to_have_count(0)

    # Esc cancels an edit without saving.
    box.press("ArrowUp")
    expect(editor).to_be_visible()
    editor.fill("never saved")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(row(a.page, "Meeting at 11")).to_be_visible()

    # B cannot edit or delete A's message.
    row(b.page, "Meeting at 11").hover()
    expect(row(b.page, "Meeting at 11").get_by_role("button", name="Edit message")).to_have_count(0)
    expect(row(b.page, "Meeting at 11").get_by_role("button", name="Delete message")
           ).to_have_count(0)

    # Delete asks first, then the message is gone on both sides.
    action(a.page, "Meeting at 11", "Delete message").click()
    dialog = a.page.get_by_role("dialog", name="Delete message")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(log(a.page).get_by_text("Meeting at 11")).to_have_count(0)
    expect(log(b.page).get_by_text("Meeting at 11")).to_have_count(0)

    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_up_arrow_in_the_thread_reply_box_edits_my_last_reply(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "threadedit@example.com", "Ted Threads")

    send(a.page, "Which port for staging?")
    action(a.page, "Which port for staging?", "Reply in thread").click()
    panel = thread_panel(a.page)
    replies = panel.get_by_role("log", name="Replies")
    box = panel.get_by_role("textbox", name="Reply in thread")
    box.fill("Port 8080")
    box.press("Enter")
    expect(replies.get_by_text("Port 8080")).to_be_visible()
    expect(box).to_have_value("")

    # B watches the same thread.
    root = row(b.page, "Which port for staging?")
    root.get_by_role("button", name=re.compile(r"^1 reply")).click()
    b_replies = thread_panel(b.page).get_by_role("log", name="Replies")
    expect(b_replies.get_by_text("Port 8080")).to_be_visible()

    # Up arrow in the empty reply box edits that reply (in the panel); Enter saves.
    box.focus()
    box.press("ArrowUp")
    editor = panel.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Port 8080")
    expect(timeline(a.page).get_by_role("textbox", name="Edit message")).to_have_count(0)
    editor.fill("Port 8443")
    editor.press("Enter")
    expect(editor).to_have_count(0)
    expect(replies.locator("li.msg").filter(has_text="Port 8443")).to_contain_text("(edited)")
    expect(b_replies.locator("li.msg").filter(has_text="Port 8443")).to_contain_text("(edited)")
    # Focus is back in the thread's reply box, not the main message box.
    expect(box).to_be_focused()

    # Esc cancels (and also returns to the reply box); the panel stays open.
    box.press("ArrowUp")
    expect(editor).to_be_focused()
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(box).to_be_focused()
    expect(panel).to_be_visible()

    # Esc in the delete confirmation closes only the dialog: the thread panel stays open.
    reply_row = replies.locator("li.msg").filter(has_text="Port 8443")
    reply_row.hover()
    reply_row.get_by_role("button", name="Delete message").click()
    dialog = a.page.get_by_role("dialog", name="Delete message")
    expect(dialog).to_be_visible()
    a.page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(panel).to_be_visible()
    expect(reply_row).to_be_visible()

    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_direct_message_both_ways(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "dee@example.com", "Dee Rect")
    a.page.reload()  # the member directory now has Dee
    expect(a.page.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    a.page.get_by_role("button", name="New direct message").click()
    dialog = a.page.get_by_role("dialog", name="New direct message")
    dialog.get_by_role("textbox", name="Find people").fill("Dee")
    dialog.get_by_role("checkbox", name=re.compile(r"Dee Rect")).check()
    dialog.get_by_role("button", name="Start conversation").click()
    expect(a.page.get_by_role("heading", level=1, name="Dee Rect")).to_be_visible()
    # Dee's page is open, so Dee shows as online in the header (presence.changed).
    header = a.page.locator("header.channel-header")
    expect(header.get_by_role("img", name="online")).to_be_visible()
    dm_box = a.page.get_by_role("textbox", name="Message Dee Rect")
    dm_box.fill("Just between us")
    dm_box.press("Enter")
    expect(log(a.page).get_by_text("Just between us")).to_be_visible()

    # B gets the conversation in the sidebar, live, with an unread badge, and answers.
    dms = b.page.get_by_role("list", name="Direct messages")
    link = dms.get_by_role("link", name=re.compile(r"Local Captain"))
    expect(link.get_by_label("1 unread")).to_be_visible()
    link.click()
    expect(b.page.get_by_role("heading", level=1, name="Local Captain")).to_be_visible()
    expect(log(b.page).get_by_text("Just between us")).to_be_visible()
    expect(link.get_by_label("1 unread")).to_have_count(0)
    reply_box = b.page.get_by_role("textbox", name="Message Local Captain")
    reply_box.fill("Understood")
    reply_box.press("Enter")
    expect(log(a.page).get_by_text("Understood")).to_be_visible()

    # The DM is not in the channel: #general does not show it.
    a.page.get_by_role("link", name=re.compile(r"general")).click()
    expect(a.page.get_by_role("heading", level=1, name="#general")).to_be_visible()
    expect(log(a.page).get_by_text("Just between us")).to_have_count(0)

    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_upload_by_file_input_and_drop_is_seen_by_the_other(browser, live_server):
    a = captain_page(browser, live_server)
    b = member_page(browser, live_server, "files@example.com", "Fi Les")

    # The paperclip's file input: a text file, with progress and then "Ready".
    a.page.locator("#composer-files").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"release notes\n" * 100})
    files = a.page.get_by_role("list", name="Files to send")
    expect(files.get_by_text("notes.txt")).to_be_visible()
    expect(files.get_by_text("Ready")).to_be_visible()

    # Drag and drop an image onto the message box.
    data = a.page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], 'pixel.png', { type: 'image/png' }));
            return dt;
        }""", base64.b64encode(PIXEL_PNG).decode())
    a.page.locator("form.composer").dispatch_event("drop", {"dataTransfer": data})
    expect(files.get_by_text("pixel.png")).to_be_visible()
    expect(files.get_by_text("Ready")).to_have_count(2)

    send(a.page, "Two files for you")
    expect(files).to_have_count(0)

    # B sees the file as a download chip (name and size) and the image inline.
    r = row(b.page, "Two files for you")
    chip = r.get_by_role("link", name=re.compile(r"notes\.txt"))
    expect(chip).to_be_visible()
    expect(chip).to_contain_text("1.4 KB")
    expect(chip).to_have_attribute("href", re.compile(r"^/api/uploads/upl_"))
    expect(r.get_by_role("img", name="pixel.png")).to_be_visible()

    # Paste a file into the message box: it joins the files to send.
    a.page.get_by_role("textbox", name=re.compile(r"^Message #")).evaluate(
        """(el) => {
            const dt = new DataTransfer();
            dt.items.add(new File(['pasted'], 'pasted.txt', { type: 'text/plain' }));
            el.dispatchEvent(new ClipboardEvent('paste',
                { clipboardData: dt, bubbles: true, cancelable: true }));
        }""")
    expect(files.get_by_text("pasted.txt")).to_be_visible()
    files.get_by_role("button", name=re.compile(r"^(Cancel uploading|Remove) pasted\.txt")).click()
    expect(files).to_have_count(0)

    # Cancel: a file removed before sending is not sent.
    a.page.locator("#composer-files").set_input_files(
        {"name": "oops.txt", "mimeType": "text/plain", "buffer": b"oops"})
    expect(files.get_by_text("oops.txt")).to_be_visible()
    files.get_by_role("button", name=re.compile(r"^(Cancel uploading|Remove) oops\.txt")).click()
    expect(files).to_have_count(0)

    assert a.problems == [] and b.problems == [], a.problems + b.problems


def test_opening_a_side_panel_keeps_the_newest_message_in_view(browser, live_server):
    """The panel narrows the timeline and its rows reflow taller; a reader at the bottom stays
    at the bottom (fails without the timeline's ResizeObserver)."""
    from tests.browser.helpers import CSRF, bootstrap_ids, open_page

    ws, _ = bootstrap_ids(live_server)
    with live_server.client() as api:
        r = api.post(f"/api/workspaces/{ws}/channels", headers=CSRF, json={"name": "long-lines"})
        assert r.status_code == 201, r.text
        channel = r.json()["channel"]
        words = " ".join(f"word{i}" for i in range(60))  # wraps more when the view narrows
        for i in range(30):
            r = api.post(f"/api/channels/{channel['id']}/messages", headers=CSRF,
                         json={"body": f"line {i}: {words}", "nonce": f"ll{i}"})
            assert r.status_code == 201, r.text
    w = open_page(browser.new_context(viewport={"width": 1280, "height": 720}),
                  f"{live_server.url}/w/{ws}/c/{channel['route_id']}")
    page = w.page
    expect(row(page, "line 29:")).to_be_in_viewport()
    page.get_by_role("button", name="Search messages").click()
    expect(page.get_by_role("searchbox", name="Search messages")).to_be_visible()
    expect(row(page, "line 29:")).to_be_in_viewport()
    assert w.problems == [], w.problems
