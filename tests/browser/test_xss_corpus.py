"""XSS corpus in the real browser with the CSP on (issue 9, group 5; reliability.md D1).

About 200 payloads (classic filter-evasion vectors, javascript:/data: links, SVG, event
handlers, Markdown link/image/autolink tricks, each in several wrappings) are put into every
user-controlled string the web app shows: message bodies (all of them), and a sample in channel
names, topics, display names, upload filenames and reaction emoji.  Two people open the app;
the canary ``window.__pwned`` is never set and the rendered document holds no element with an
``on*`` attribute, no script, no javascript: link.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, _start_server
from tests.browser.helpers import CSRF, bootstrap_ids, join, sign_up
from tests.browser.test_chat import captain_page, log

C = "window.__pwned=1"
VECTORS = [
    f"<script>{C}</script>",
    f"<img src=x onerror={C}>",
    f'<img src="x" onerror="{C}">',
    f"<svg onload={C}>",
    f"<svg><script>{C}</script></svg>",
    f"<body onload={C}>",
    f"<iframe src=\"javascript:{C}\"></iframe>",
    f"<iframe srcdoc=\"<script>parent.{C}</script>\"></iframe>",
    f"<a href=\"javascript:{C}\">x</a>",
    f"<a href=\"JaVaScRiPt:{C}\">x</a>",
    f"<a href=\"&#106;avascript:{C}\">x</a>",
    f"<a href=\"java\tscript:{C}\">x</a>",
    f"<a href=\"data:text/html,<script>{C}</script>\">x</a>",
    f"<details open ontoggle={C}>",
    f"<input autofocus onfocus={C}>",
    f"<video><source onerror={C}></video>",
    f"<audio src=x onerror={C}>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={C}>",
    f"<object data=\"javascript:{C}\"></object>",
    f"<embed src=\"javascript:{C}\">",
    f"<form action=\"javascript:{C}\"><button>x</button></form>",
    f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:{C}\">",
    f"<style>@import 'javascript:{C}';</style>",
    f"<div style=\"background:url(javascript:{C})\">x</div>",
    f"<marquee onstart={C}>x</marquee>",
    f"\"><img src=x onerror={C}>",
    f"'><svg onload={C}>",
    f"</textarea><script>{C}</script>",
    f"</title><script>{C}</script>",
    f"<scr<script>ipt>{C}</scr</script>ipt>",
    f"[x](javascript:{C})",
    f"[x](JAVASCRIPT:{C})",
    f"[x](  javascript:{C}  )",
    "[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+)",
    f"![x](javascript:{C})",
    f"![x](x\" onerror=\"{C})",
    f"<javascript:{C}>",
    f"[x](vbscript:{C})",
    f"[x]: javascript:{C}\n[x]",
    f"`<img src=x onerror={C}>` <img src=x onerror={C}>",
]
WRAPS = [
    "{}",
    "**{}**",
    "> {}",
    "- {}",
    "text {} text",
]
PAYLOADS = [w.format(v) for v in VECTORS for w in WRAPS]  # 200
SAMPLE = 25  # payloads per non-message field (each one is a channel, a user, a file ...)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import signal

    server = _start_server(tmp_path_factory.mktemp("xss-data"))
    try:
        yield server
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=15)
        if server.proc.stdout is not None:
            server.proc.stdout.close()


def _short(p: str, limit: int) -> str:
    while len(p.encode()) > limit:
        p = p[:-1]
    return p


def test_xss_corpus_executes_nothing_in_the_browser(browser: Any, live_server: LiveServer,
                                                   capsys: pytest.CaptureFixture[str]):
    ws, general = bootstrap_ids(live_server)
    accepted: dict[str, int] = {}
    refused: dict[str, int] = {}

    def count(field: str, status: int) -> None:
        bucket = accepted if status < 300 else refused
        bucket[field] = bucket.get(field, 0) + 1
        assert status < 500, (field, status)

    with live_server.client() as api:
        # Channel names and topics.
        for p in PAYLOADS[:SAMPLE]:
            r = api.post(f"/api/workspaces/{ws}/channels", headers=CSRF,
                         json={"name": _short(p, 80), "kind": "public"})
            count("channel name", r.status_code)
            r = api.post(f"/api/workspaces/{ws}/topics", headers=CSRF,
                         json={"name": _short(p, 80), "channel_id": general})
            count("topic", r.status_code)
        # Filenames: uploads attached to messages.
        for i, p in enumerate(PAYLOADS[:SAMPLE]):
            r = api.post("/api/uploads", headers=CSRF, data={"workspace_id": ws},
                         files={"file": (p + ".txt", b"hello", "text/plain")})
            count("filename", r.status_code)
            if r.status_code < 300:
                upload = r.json()["upload"]["id"]
                r = api.post(f"/api/channels/{general}/messages", headers=CSRF,
                             json={"body": f"file {i}", "upload_id": upload})
                assert r.status_code == 201, r.text
        # Message bodies: all payloads, 10 per message (the rate limit allows 40 per 2 s).
        first = None
        for i in range(0, len(PAYLOADS), 10):
            r = api.post(f"/api/channels/{general}/messages", headers=CSRF,
                         json={"body": "\n\n".join(PAYLOADS[i:i + 10]), "nonce": f"xss-{i}"})
            count("message", r.status_code)
            first = first or r.json()["message"]["id"]
        # Emoji: reactions on the last message.
        target = r.json()["message"]["id"]
        for p in PAYLOADS[:SAMPLE]:
            emoji = "".join(p.split())[:64]
            r = api.post(f"/api/messages/{target}/reactions", headers=CSRF,
                         json={"emoji": emoji})
            count("emoji", r.status_code)
    # Display names: people named after payloads post in #general.
    for i, p in enumerate(PAYLOADS[:SAMPLE]):
        person = sign_up(live_server, f"xss{i}@example.com", _short(p, 80))
        join(live_server, ws, person)
        with live_server.client(person.token) as api:
            r = api.post(f"/api/channels/{general}/messages", json={"body": f"from {i}"})
            count("display name", r.status_code)
        with live_server.client() as api:
            r = api.patch("/api/me", headers={**CSRF, "Authorization": f"Bearer {person.token}"},
                          json={"display_name": _short(p, 80)})
            count("display name (patch)", r.status_code)

    w = captain_page(browser, live_server)
    page = w.page
    expect(log(page).get_by_text("from 24")).to_be_visible()
    checks = 0
    for _ in range(3):  # scroll up through the history, checking at each step
        page.evaluate("document.querySelector('[role=log]')?.scrollTo(0, 0)")
        page.wait_for_timeout(500)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        bad = page.evaluate("""() => [...document.querySelectorAll('*')].filter(el =>
            [...el.attributes].some(a => a.name.startsWith('on')) ||
            (el.tagName === 'SCRIPT' && !el.src) || el.tagName === 'IFRAME' ||
            el.tagName === 'OBJECT' || el.tagName === 'EMBED' ||
            (el.href && /^\\s*(javascript|data|vbscript):/i.test(String(el.href)))
        ).map(el => el.outerHTML.slice(0, 120))""")
        assert bad == [], bad
        checks += 1
    # Click every link inside the message log: none may run anything.
    links = log(page).locator("a")
    for i in range(min(links.count(), 30)):
        href = links.nth(i).get_attribute("href") or ""
        assert not href.lower().strip().startswith(("javascript:", "data:", "vbscript:")), href
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # Channel names and topics render in the sidebar / headers: visit a few channels.
    visited = 0
    for link in page.locator("a[href*='/c/']").all()[:12]:
        if link.is_visible():
            link.click(timeout=5000)
            page.wait_for_timeout(200)
            visited += 1
        assert page.evaluate("typeof window.__pwned") == "undefined"
    assert visited >= 5
    total = sum(accepted.values()) + sum(refused.values())
    with capsys.disabled():
        print(f"\n[xss] {len(PAYLOADS)} payloads in messages, {SAMPLE} each in channel names, "
              f"topics, filenames, emoji and display names: {total} writes "
              f"(accepted {accepted}, refused {refused}), canary set 0 times, "
              f"{checks} DOM scans clean, {visited} channels visited")
