"""XSS corpus in the real browser with the CSP on (issue 9, group 5; reliability.md D1).

200 payloads (classic filter-evasion vectors, javascript:/data: links, SVG, event handlers,
Markdown link/image/autolink tricks, each in five wrappings) are put into every user-controlled
string, all 200 in each: message bodies, channel names and display titles, topic labels,
display names, upload filenames and reaction emoji.  The app is opened on each place they show
(each test loads the whole channel, or opens every titled channel); the canary
``window.__pwned`` is never set, the document holds no element with an ``on*`` attribute, no
inline script, frame, object, form or javascript:/data: link, and the page logs no CSP
violation (nothing even tried to run).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, _start_server, time_limit
from tests.browser.helpers import CSRF, Watched, bootstrap_ids, join, open_page, sign_up
from tests.browser.test_chat import captain_page, log
from tests.browser.test_search_ui import _open_search

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
SETUP_LIMIT_S = 120

# Every element that could run script or navigate to script, after rendering.
SCAN = """() => [...document.querySelectorAll('*')].filter(el =>
    [...el.attributes].some(a => a.name.toLowerCase().startsWith('on')) ||
    el.tagName === 'SCRIPT' && !el.src || ['IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName) ||
    ['BASE', 'META', 'STYLE'].includes(el.tagName) && el.closest('body') ||
    el.tagName === 'FORM' && el.hasAttribute('action') ||
    (el.href && /^\\s*(javascript|data|vbscript):/i.test(String(el.href.baseVal ?? el.href))) ||
    (el.src && /^\\s*(javascript|data:text|vbscript):/i.test(String(el.src)))
).map(el => el.outerHTML.slice(0, 120))"""


@dataclass
class Corpus:
    workspace_id: str
    channels: dict[str, dict[str, Any]]  # the three test channels by name
    titled: list[dict[str, Any]]  # channels named and titled after payloads
    accepted: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    reactions: int = 0  # distinct (message, emoji) pairs accepted

    def count(self, name: str, status: int, text: str) -> None:
        assert status < 500, (name, status, text)
        bucket = self.accepted if status < 300 else self.refused
        bucket[name] = bucket.get(name, 0) + 1


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = _start_server(tmp_path_factory.mktemp("xss-data"))
    try:
        yield server
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=15)
        if server.proc.stdout is not None:
            server.proc.stdout.close()


def _short(p: str, limit: int) -> str:
    while len(p) > limit:
        p = p[:-1]
    return p


@pytest.fixture(scope="module")
def corpus(live_server: LiveServer) -> Corpus:
    """All 200 payloads in every user-controlled string, written through the public API."""
    with time_limit(SETUP_LIMIT_S, "XSS corpus setup"):
        return _seed(live_server)


def _seed(server: LiveServer) -> Corpus:
    ws, _ = bootstrap_ids(server)
    with server.client() as api:
        made = {}
        for name in ("xss-messages", "xss-people", "xss-emoji"):
            r = api.post(f"/api/workspaces/{ws}/channels", headers=CSRF, json={"name": name})
            assert r.status_code == 201, r.text
            made[name] = r.json()["channel"]
        c = Corpus(ws, made, [])
        # Channel names (slugified by the server, so each is made unique with its number) and
        # display titles (free text, shown in the channel header), and topic labels.
        for i, p in enumerate(PAYLOADS):
            r = api.post(f"/api/workspaces/{ws}/channels", headers=CSRF,
                         json={"name": f"x{i:03d} {_short(p, 60)}",
                               "display_title": _short(p, 200)})
            c.count("channel name + title", r.status_code, r.text)
            if r.status_code == 201:
                c.titled.append(r.json()["channel"])
            r = api.post(f"/api/workspaces/{ws}/topics", headers=CSRF,
                         json={"name": _short(p, 80), "channel_id": made["xss-messages"]["id"]})
            c.count("topic", r.status_code, r.text)
        # Message bodies: all payloads, 10 per message.
        for i in range(0, len(PAYLOADS), 10):
            r = api.post(f"/api/channels/{made['xss-messages']['id']}/messages", headers=CSRF,
                         json={"body": "\n\n".join(PAYLOADS[i:i + 10]), "nonce": f"xss-{i}"})
            for _ in PAYLOADS[i:i + 10]:
                c.count("message", r.status_code, r.text)
        # Emoji: 50 reactions (the per-message cap of distinct emoji) on each of 4 messages.
        for m in range(4):
            r = api.post(f"/api/channels/{made['xss-emoji']['id']}/messages", headers=CSRF,
                         json={"body": f"react {m}"})
            assert r.status_code == 201, r.text
            target = r.json()["message"]["id"]
            distinct = set()
            for p in PAYLOADS[m * 50:(m + 1) * 50]:
                emoji = _short("".join(p.split()), 64)
                r = api.post(f"/api/messages/{target}/reactions", headers=CSRF,
                             json={"emoji": emoji})
                c.count("emoji", r.status_code, r.text)
                if r.status_code < 300:
                    distinct.add(emoji)
            c.reactions += len(distinct)
    # Display names and filenames: 200 people named after a payload each upload a file named
    # after it and post it in #xss-people.
    people = made["xss-people"]["id"]
    for i, p in enumerate(PAYLOADS):
        person = sign_up(server, f"xss{i}@example.com", _short(p, 80))
        c.count("display name", 201, "")
        join(server, ws, person)
        with server.client(person.token) as api:
            r = api.post("/api/uploads", data={"workspace_id": ws},
                         files={"file": (p + ".txt", b"hello", "text/plain")})
            c.count("filename", r.status_code, r.text)
            body: dict[str, Any] = {"body": f"from {i}"}
            if r.status_code < 300:
                body["upload_id"] = r.json()["upload"]["id"]
            r = api.post(f"/api/channels/{people}/messages", json=body)
            assert r.status_code == 201, r.text
    return c


def _clean(page: Any) -> int:
    """The canary is unset and nothing in the document can run script; the number of elements."""
    assert page.evaluate("typeof window.__pwned") == "undefined"
    bad = page.evaluate(SCAN)
    assert bad == [], bad
    return int(page.evaluate("document.querySelectorAll('*').length"))


def _open_whole_channel(browser: Any, server: LiveServer, ws: str, channel: dict[str, Any],
                        rows: int) -> Watched:
    w = open_page(browser.new_context(), f"{server.url}/w/{ws}/c/{channel['route_id']}")
    page = w.page
    expect(page.get_by_role("heading", level=1, name=f"#{channel['name']}")).to_be_visible()
    page.wait_for_function("""() => {
        const s = document.querySelector('.scroller');
        s.scrollTop = 0;
        return !!document.querySelector('li.msg[data-seq="1"]');
    }""", polling=250, timeout=30_000)
    expect(log(page).locator("li.msg")).to_have_count(rows)
    return w


def _report(capsys: pytest.CaptureFixture[str], field_name: str, c: Corpus, extra: str) -> None:
    with capsys.disabled():
        print(f"\n[xss] {field_name}: {len(PAYLOADS)} payloads, accepted "
              f"{c.accepted.get(field_name, 0)}, refused {c.refused.get(field_name, 0)}; "
              f"canary set 0 times; {extra}")


def test_message_bodies_execute_nothing(browser: Any, live_server: LiveServer, corpus: Corpus,
                                        capsys: pytest.CaptureFixture[str]):
    assert corpus.accepted["message"] == len(PAYLOADS)
    w = _open_whole_channel(browser, live_server, corpus.workspace_id,
                            corpus.channels["xss-messages"], len(PAYLOADS) // 10)
    # Search results show snippets of the same bodies with highlights: also text only.
    results = _open_search(w.page, "onerror").locator("li")
    expect(results.first).to_be_visible()
    expect(results.first.locator("mark").first).to_be_visible()
    found = results.count()
    elements = _clean(w.page)
    links = log(w.page).locator("a")
    for i in range(links.count()):
        href = (links.nth(i).get_attribute("href") or "").lower().strip()
        assert href.startswith(("http:", "https:", "mailto:", "/")), href
    assert w.problems == [], w.problems
    _report(capsys, "message", corpus,
            f"in {len(PAYLOADS) // 10} messages, {found} search results, "
            f"{elements} elements scanned, "
            f"{links.count()} links rendered, all http(s)/mailto")


def test_display_names_and_filenames_execute_nothing(browser: Any, live_server: LiveServer,
                                                     corpus: Corpus,
                                                     capsys: pytest.CaptureFixture[str]):
    assert corpus.accepted["display name"] == len(PAYLOADS)
    w = _open_whole_channel(browser, live_server, corpus.workspace_id,
                            corpus.channels["xss-people"], len(PAYLOADS))
    page = w.page
    # Names are shown as text, exactly as typed (the browser did not parse them).
    for i in (0, 1, 57, 199):
        row = log(page).locator(f'li.msg[data-seq="{i + 1}"]')
        expect(row).to_contain_text(f"from {i}")
        expect(row).to_contain_text(_short(PAYLOADS[i], 80))
    # Every accepted file is shown with its name, as text.
    names = log(page).locator(".files .name, .files a.image")
    expect(names).to_have_count(corpus.accepted["filename"])
    plain = next(i for i, p in enumerate(PAYLOADS) if "/" not in p)  # "/" starts a basename
    expect(log(page).locator(f'li.msg[data-seq="{plain + 1}"] .files')).to_contain_text(
        PAYLOADS[plain] + ".txt")
    elements = _clean(page)
    assert w.problems == [], w.problems
    _report(capsys, "display name", corpus, f"{elements} elements scanned")
    _report(capsys, "filename", corpus, f"{names.count()} attachment chips in the same channel")


def test_reaction_emoji_execute_nothing(browser: Any, live_server: LiveServer, corpus: Corpus,
                                        capsys: pytest.CaptureFixture[str]):
    w = _open_whole_channel(browser, live_server, corpus.workspace_id,
                            corpus.channels["xss-emoji"], 4)
    chips = log(w.page).locator(".reactions .chip")
    expect(chips).to_have_count(corpus.reactions)
    first = _short("".join(PAYLOADS[0].split()), 64)
    expect(log(w.page).locator(".reactions .emoji").get_by_text(first, exact=True)).to_have_count(1)
    elements = _clean(w.page)
    assert w.problems == [], w.problems
    _report(capsys, "emoji", corpus, f"{chips.count()} reaction chips, {elements} elements "
            "scanned")


def test_channel_names_titles_and_topics_execute_nothing(browser: Any, live_server: LiveServer,
                                                         corpus: Corpus,
                                                         capsys: pytest.CaptureFixture[str]):
    assert corpus.accepted["channel name + title"] == len(PAYLOADS)
    w = captain_page(browser, live_server)
    page = w.page
    _clean(page)  # the sidebar lists every channel
    # Each channel's header shows its title: open them one by one through the sidebar.
    for ch in corpus.titled:
        page.locator(f"a[href$='/c/{ch['route_id']}']").first.click()
        expect(page.get_by_role("heading", level=1, name=f"#{ch['name']}")).to_be_visible()
        expect(page.locator(".topic")).to_have_text(ch["display_title"])
        assert page.evaluate("typeof window.__pwned") == "undefined"
    elements = _clean(page)
    assert w.problems == [], w.problems
    _report(capsys, "channel name + title", corpus,
            f"{len(corpus.titled)} channel headers opened, {elements} elements scanned")
    _report(capsys, "topic", corpus, "stored as labels (the web app does not show topics yet)")
