"""Screenshots of the web app's main screens (./scripts/screenshots): a real server with sample
conversations seeded through the API, Debian's chromium driven by Playwright, light and dark,
desktop and phone width.  Written to docs/screenshots/ (shown in the README)."""

from __future__ import annotations

import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, ROOT, LiveServer, _start_server
from tests.browser.helpers import CSRF, Person, bootstrap_ids, join, magic_token, sign_up

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# (author, body) per channel, oldest first.  An entry may name a key (KEY_MESSAGES) so the seed
# can react to it, pin it, reply to it or attach a file to it.
CONVERSATIONS: dict[str, list[tuple[str, str]]] = {
    "general": [
        ("ada", "Morning all! The **0.4 release** branch is cut 🎉"),
        ("grace", "Nice. I'll run the soak test on the staging box before lunch."),
        ("captain", "Thanks both. Release notes draft is in `docs/releases/0.4.md`, "
                    "comments welcome."),
        ("margaret", "Read it. Two things:\n\n1. mention the new `--synchronous` flag\n"
                     "2. link the [upgrade guide](https://example.com/upgrade)"),
        ("ada", "Agreed on both. Also worth saying that websocket replay is capped at 5,000 "
                "events, then clients resync."),
        ("grace", "Soak test is green: 2 h, 40 clients, no missed messages after 300 forced "
                  "reconnects."),
        ("grace", "Latency over the whole run, p99 stayed under 40 ms:"),
        ("margaret", "> no missed messages after 300 forced reconnects\n\nThat's the line for "
                     "the announcement."),
        ("margaret", "Signed-off release checklist, for the record:"),
    ],
    "engineering": [
        ("grace", "Heads-up: the writer now batches up to 256 requests per transaction."),
        ("ada", "Here's the check I used for the cursor ordering:\n\n```python\n"
                "cursors = [e['cursor'] for e in events]\nassert cursors == sorted(cursors)\n```"),
        ("margaret", "Looks right. Cursor order is commit order, so that holds across "
                     "processes too."),
        ("captain", "Can we get that into the test suite? A property test would be ideal."),
        ("ada", "On it: hypothesis, random interleavings of writers, 200 examples."),
    ],
    "design": [
        ("margaret", "New sidebar mock-ups are up. Unread badges are now pills, and the "
                     "drawer works on phones."),
        ("ada", "Love the dark mode. Contrast checks pass (AA) for all text."),
    ],
    "random": [
        ("grace", "Found the original bug report from 1947 in the archive. A real moth."),
    ],
}
READ_UP_TO = {"general": 8, "engineering": 5, "design": 0, "random": 0}

# Which seeded message is which (channel, 1-based index), for the extras below.
RELEASE = ("general", 1)
NOTES = ("general", 3)
SOAK = ("general", 6)
CHART = ("general", 7)
CHECKLIST = ("general", 9)

REACTIONS: list[tuple[tuple[str, int], str, list[str]]] = [
    (RELEASE, "🎉", ["grace", "margaret", "captain"]),
    (RELEASE, "🚀", ["grace", "margaret"]),
    (SOAK, "👍", ["ada", "margaret", "captain"]),
    (SOAK, "💯", ["ada"]),
    (CHART, "👀", ["captain"]),
]

# The thread under the soak-test message.
THREAD: list[tuple[str, str]] = [
    ("ada", "Were the 300 reconnects spread out, or all at once?"),
    ("grace", "Bursts of 50 every 20 minutes, with random jitter. The replay cap never kicked in."),
    ("captain", "Can you add the command to the runbook? Something like\n\n"
                "```sh\n./scripts/soak --clients 40 --duration 2h --reconnects 300\n```"),
    ("grace", "Done, it's under *Before a release*."),
    ("margaret", "Great work. Let's keep this as the baseline for 0.5 👍"),
]

# A direct conversation: the captain and Ada (read), and one from Grace (unread).
DM_ADA: list[tuple[str, str]] = [
    ("ada", "Got a minute before the release call?"),
    ("captain", "Sure, what's up?"),
    ("ada", "The upgrade guide still says `clickclack migrate`, but it's "
            "`clickclack db upgrade` now. Shall I fix it in the release PR?"),
    ("captain", "Yes please, and tag me for review. **Thanks** for catching it!"),
    ("ada", "Done: [pull request #412](https://example.com/pr/412) 🙌"),
]
DM_GRACE: list[tuple[str, str]] = [
    ("grace", "The staging box is yours after 3 pm."),
]


def chart_png() -> bytes:
    """A small latency chart (PNG, drawn here) for the image attachment."""
    import io
    import math

    from PIL import Image, ImageDraw

    w, h, pad = 640, 300, 36
    img = Image.new("RGB", (w, h), (248, 250, 252))
    d = ImageDraw.Draw(img)
    for i in range(5):  # grid
        y = pad + i * (h - 2 * pad) // 4
        d.line([(pad, y), (w - pad // 2, y)], fill=(226, 232, 240), width=1)
    d.line([(pad, pad), (pad, h - pad), (w - pad // 2, h - pad)], fill=(148, 163, 184), width=2)

    def series(base: float, wobble: float, seed: float) -> list[tuple[float, float]]:
        pts = []
        for i in range(60):
            x = pad + i * (w - 1.5 * pad) / 59
            v = base + wobble * (math.sin(i * 0.7 + seed) * 0.6 + math.sin(i * 1.9 + seed) * 0.4)
            if i in (14, 34, 54):  # the reconnect bursts
                v += wobble * 2.2
            pts.append((x, h - pad - v))
        return pts

    d.line(series(150, 18, 1.0), fill=(79, 70, 229), width=3)   # p99
    d.line(series(70, 8, 2.0), fill=(14, 116, 144), width=3)    # p50
    d.rectangle([(w - 150, 14), (w - 20, 60)], fill=(255, 255, 255), outline=(226, 232, 240))
    d.line([(w - 140, 28), (w - 116, 28)], fill=(79, 70, 229), width=3)
    d.text((w - 108, 22), "p99 latency", fill=(30, 41, 59))
    d.line([(w - 140, 46), (w - 116, 46)], fill=(14, 116, 144), width=3)
    d.text((w - 108, 40), "p50 latency", fill=(30, 41, 59))
    d.text((pad, 12), "Soak run, 2 h, 40 clients", fill=(30, 41, 59))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def checklist_pdf() -> bytes:
    """Bytes that sniff as a PDF (a download chip, not an inline image)."""
    lines = [b"%PDF-1.4", b"% ClickClack 0.4 release checklist (sample)"]
    lines += [b"%% item %03d: checked" % i for i in range(1, 900)]
    return b"\n".join(lines) + b"\n%%EOF\n"


def upload(client: Any, ws: str, name: str, data: bytes, content_type: str) -> str:
    r = client.post("/api/uploads", params={"workspace_id": ws, "nonce": f"seed-{name}"},
                    headers=CSRF, files={"file": (name, data, content_type)})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["upload"]["id"])


def seed(server: LiveServer) -> dict[str, Person]:
    people: dict[str, Person] = {
        "ada": sign_up(server, "ada@example.com", "Ada Lovelace"),
        "grace": sign_up(server, "grace@example.com", "Grace Hopper"),
        "margaret": sign_up(server, "margaret@example.com", "Margaret Hamilton"),
    }
    ws, _ = bootstrap_ids(server)
    for person in people.values():
        join(server, ws, person)
    with server.client() as captain:
        r = captain.patch(f"/api/workspaces/{ws}", headers=CSRF, json={"name": "Northwind"})
        channels = {c["name"]: c["id"] for c in captain.get(
            f"/api/workspaces/{ws}/channels").json()["channels"]}
        for name in CONVERSATIONS:
            if name not in channels:
                r = captain.post(f"/api/workspaces/{ws}/channels", headers=CSRF,
                                 json={"name": name})
                assert r.status_code == 201, r.text
                channels[name] = r.json()["channel"]["id"]
        clients = {k: server.client(p.token) for k, p in people.items()}
        clients["captain"] = captain
        attach = {CHART: ("soak-latency.png", chart_png(), "image/png"),
                  CHECKLIST: ("release-checklist-0.4.pdf", checklist_pdf(), "application/pdf")}
        ids: dict[tuple[str, int], str] = {}
        for name, lines in CONVERSATIONS.items():
            for i, (who, body) in enumerate(lines, 1):
                payload: dict[str, Any] = {"body": body, "nonce": f"seed-{name}-{i}"}
                if (name, i) in attach:
                    payload["upload_id"] = upload(clients[who], ws, *attach[(name, i)])
                r = clients[who].post(f"/api/channels/{channels[name]}/messages",
                                      json=payload, headers=CSRF)
                assert r.status_code in (200, 201), r.text
                ids[(name, i)] = r.json()["message"]["id"]
                if i == READ_UP_TO[name]:
                    captain.post(f"/api/channels/{channels[name]}/read", headers=CSRF,
                                 json={"seq": r.json()["message"]["channel_seq"]})
        for i, (who, body) in enumerate(THREAD, 1):
            r = clients[who].post(f"/api/messages/{ids[SOAK]}/thread/replies", headers=CSRF,
                                  json={"body": body, "nonce": f"seed-thread-{i}"})
            assert r.status_code in (200, 201), r.text
        for key, emoji, who_all in REACTIONS:
            for who in who_all:
                r = clients[who].post(f"/api/messages/{ids[key]}/reactions", headers=CSRF,
                                      json={"emoji": emoji})
                assert r.status_code in (200, 201), r.text
        r = captain.post(f"/api/channels/{channels['general']}/pins", headers=CSRF,
                         json={"message_id": ids[NOTES]})
        assert r.status_code in (200, 201), r.text
        for other, lines in (("ada", DM_ADA), ("grace", DM_GRACE)):
            r = captain.post("/api/dms", headers=CSRF,
                             json={"workspace_id": ws, "member_ids": [people[other].user_id]})
            assert r.status_code in (200, 201), r.text
            dm = r.json()["conversation"]["id"]
            for i, (who, body) in enumerate(lines, 1):
                r = clients[who].post(f"/api/dms/{dm}/messages", headers=CSRF,
                                      json={"body": body, "nonce": f"seed-dm-{other}-{i}"})
                assert r.status_code in (200, 201), r.text
                if other == "ada":  # read up to the end
                    captain.post(f"/api/dms/{dm}/read", headers=CSRF,
                                 json={"seq": r.json()["message"]["channel_seq"]})
        for k, c in clients.items():
            if k != "captain":
                c.close()
    return people


def settle(page: Any) -> None:
    """Wait for web fonts and images (no fixed sleeps), then move the pointer out of the way."""
    # (functions, not expressions: a string expression would need eval, which the CSP forbids)
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    page.wait_for_function(
        "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)")


def shoot(browser: Any, server: LiveServer, name: str, *, scheme: str, viewport: dict[str, int],
          path: str = "/", action: Any = None) -> None:
    ctx = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1,
                              reduced_motion="reduce")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(server.url + path)
    if path == "/":
        expect(page.get_by_role("log").first).to_be_visible()
        expect(page.locator(".status[data-state=open]")).to_have_count(1)  # live
    if action is not None:
        action(page)
    else:
        page.mouse.move(viewport["width"] - 2, viewport["height"] - 2)
    settle(page)
    page.screenshot(path=str(OUT / f"{name}.png"), animations="disabled", caret="hide")
    ctx.close()
    print(f"wrote docs/screenshots/{name}.png")


def open_channel(channel: str) -> Any:
    def act(page: Any) -> None:
        link = page.get_by_role("link", name=channel)
        if not link.is_visible():
            page.get_by_role("button", name="Open the channel list").click()
        link.click()
        expect(page.get_by_role("heading", level=1, name=f"#{channel}")).to_be_visible()
        page.mouse.move(2, 2)
    return act


def open_thread(page: Any) -> None:
    """The soak-test message's thread, opened from its "N replies" link."""
    replies = page.get_by_role("button", name=re.compile(r"^5 replies, open the thread"))
    replies.scroll_into_view_if_needed()
    replies.click()
    panel = page.get_by_role("complementary", name="Thread")
    expect(panel.get_by_role("log", name="Replies").locator("li.msg")).to_have_count(5)
    page.mouse.move(2, 2)


def open_search(page: Any) -> None:
    page.keyboard.press("Control+Shift+F")
    box = page.locator("#search-panel-input")
    box.fill("test")
    box.press("Enter")
    expect(page.locator("mark").first).to_be_visible()
    page.mouse.move(2, 2)


def open_dm(page: Any) -> None:
    page.get_by_role("list", name="Direct messages").get_by_role(
        "link", name=re.compile(r"Ada Lovelace")).click()
    expect(page.get_by_role("heading", level=1, name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_role("log").get_by_text("pull request #412")).to_be_visible()
    page.mouse.move(2, 2)


def open_emoji_picker(page: Any) -> None:
    row = page.get_by_role("log").locator("li.msg").filter(has_text="Latency over the whole run")
    row.hover()
    row.get_by_role("button", name="Add reaction").click()
    picker = page.get_by_role("dialog", name="Emoji picker")
    expect(picker.get_by_role("gridcell").first).to_be_visible()


def online(browser: Any, server: LiveServer, people: dict[str, Person],
           who: list[str]) -> list[Any]:
    """Open the app for some people, so they show as online (presence)."""
    contexts = []
    for k in who:
        ctx = browser.new_context(viewport=DESKTOP)
        page = ctx.new_page()
        page.goto(f"{server.url}/login?magic_token={magic_token(server, people[k].email)}")
        expect(page.locator(".status[data-state=open]")).to_have_count(1)
        contexts.append(ctx)
    return contexts


def main() -> int:
    chromium = shutil.which("chromium")
    if not chromium:
        print("scripts/screenshots: Debian's chromium is not installed "
              "(./scripts/install-browser)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    server = _start_server(Path(tempfile.mkdtemp(prefix="cc-shots-")))
    try:
        people = seed(server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            others = online(browser, server, people, ["ada", "grace"])
            for scheme in ("light", "dark"):
                shoot(browser, server, f"desktop-{scheme}", scheme=scheme, viewport=DESKTOP)
                shoot(browser, server, f"desktop-engineering-{scheme}", scheme=scheme,
                      viewport=DESKTOP, action=open_channel("engineering"))
                shoot(browser, server, f"thread-{scheme}", scheme=scheme, viewport=DESKTOP,
                      action=open_thread)
                shoot(browser, server, f"search-{scheme}", scheme=scheme, viewport=DESKTOP,
                      action=open_search)
                shoot(browser, server, f"phone-{scheme}", scheme=scheme, viewport=PHONE)
                shoot(browser, server, f"phone-menu-{scheme}", scheme=scheme, viewport=PHONE,
                      action=lambda p: p.get_by_role("button", name="Open the channel list")
                      .click())
                shoot(browser, server, f"signin-{scheme}", scheme=scheme, viewport=DESKTOP,
                      path="/login")
            shoot(browser, server, "dm-light", scheme="light", viewport=DESKTOP, action=open_dm)
            shoot(browser, server, "emoji-picker-light", scheme="light", viewport=DESKTOP,
                  action=open_emoji_picker)
            shoot(browser, server, "phone-thread-dark", scheme="dark", viewport=PHONE,
                  action=open_thread)

            def switcher(page: Any) -> None:
                page.keyboard.press("Control+k")
                page.get_by_role("combobox", name="Jump to a channel").fill("e")
            shoot(browser, server, "switcher-dark", scheme="dark", viewport=DESKTOP,
                  action=switcher)
            for ctx in others:
                ctx.close()
            browser.close()
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
