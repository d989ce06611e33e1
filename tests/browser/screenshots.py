"""Screenshots of the web app's main screens (./scripts/screenshots): a real server with sample
conversations seeded through the API, Debian's chromium driven by Playwright, light and dark,
desktop and phone width.  Written to docs/screenshots/ (shown in the README)."""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, ROOT, LiveServer, _start_server
from tests.browser.helpers import CSRF, Person, bootstrap_ids, join, sign_up

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

CONVERSATIONS: dict[str, list[tuple[str, str]]] = {
    "general": [
        ("ada", "Morning all! The **0.4 release** branch is cut :tada:"),
        ("grace", "Nice. I'll run the soak test on the staging box before lunch."),
        ("captain", "Thanks both. Release notes draft is in `docs/releases/0.4.md`, "
                    "comments welcome."),
        ("margaret", "Read it. Two things:\n\n1. mention the new `--synchronous` flag\n"
                     "2. link the [upgrade guide](https://example.com/upgrade)"),
        ("ada", "Agreed on both. Also worth saying that websocket replay is capped at 5,000 "
                "events, then clients resync."),
        ("grace", "Soak test is green: 2 h, 40 clients, no missed messages after 300 forced "
                  "reconnects."),
        ("margaret", "> no missed messages after 300 forced reconnects\n\nThat's the line for "
                     "the announcement."),
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
READ_UP_TO = {"general": 4, "engineering": 5, "design": 0, "random": 0}


def seed(server: LiveServer) -> None:
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
        for name, lines in CONVERSATIONS.items():
            for i, (who, body) in enumerate(lines, 1):
                r = clients[who].post(f"/api/channels/{channels[name]}/messages",
                                      json={"body": body, "nonce": f"seed-{name}-{i}"},
                                      headers=CSRF)
                assert r.status_code in (200, 201), r.text
                if i == READ_UP_TO[name]:
                    captain.post(f"/api/channels/{channels[name]}/read", headers=CSRF,
                                 json={"seq": r.json()["message"]["channel_seq"]})
        for k, c in clients.items():
            if k != "captain":
                c.close()


def shoot(browser: Any, server: LiveServer, name: str, *, scheme: str, viewport: dict[str, int],
          path: str = "/", action: Any = None) -> None:
    ctx = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1,
                              reduced_motion="reduce")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(server.url + path)
    if path == "/":
        expect(page.get_by_role("log")).to_be_visible()
        expect(page.locator(".status[data-state=open]")).to_have_count(1)  # live
    if action is not None:
        action(page)
    page.wait_for_timeout(400)  # let fonts and the last layout settle (not a test)
    page.screenshot(path=str(OUT / f"{name}.png"))
    ctx.close()
    print(f"wrote docs/screenshots/{name}.png")


def open_channel(channel: str) -> Any:
    def act(page: Any) -> None:
        link = page.get_by_role("link", name=channel)
        if not link.is_visible():
            page.get_by_role("button", name="Open the channel list").click()
        link.click()
        expect(page.get_by_role("heading", level=1, name=f"#{channel}")).to_be_visible()
    return act


def main() -> int:
    chromium = shutil.which("chromium")
    if not chromium:
        print("scripts/screenshots: Debian's chromium is not installed "
              "(./scripts/install-browser)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    server = _start_server(Path(tempfile.mkdtemp(prefix="cc-shots-")))
    try:
        seed(server)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                shoot(browser, server, f"desktop-{scheme}", scheme=scheme, viewport=DESKTOP)
                shoot(browser, server, f"desktop-engineering-{scheme}", scheme=scheme,
                      viewport=DESKTOP, action=open_channel("engineering"))
                shoot(browser, server, f"phone-{scheme}", scheme=scheme, viewport=PHONE)
                shoot(browser, server, f"phone-menu-{scheme}", scheme=scheme, viewport=PHONE,
                      action=lambda p: p.get_by_role("button", name="Open the channel list")
                      .click())
                shoot(browser, server, f"signin-{scheme}", scheme=scheme, viewport=DESKTOP,
                      path="/login")

            def switcher(page: Any) -> None:
                page.keyboard.press("Control+k")
                page.get_by_role("combobox", name="Jump to a channel").fill("e")
            shoot(browser, server, "switcher-dark", scheme="dark", viewport=DESKTOP,
                  action=switcher)
            browser.close()
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
