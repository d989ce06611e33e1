"""An invite link opened by someone who is not signed in (a server *without* dev bootstrap, so
the browser really is signed out): the app keeps the invite across the sign-in, then asks to
join and lands in the workspace.  The workspace, the invite and the magic link come from the
operator commands, run beside the live server as an operator would."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, LiveServer, _start_server
from tests.browser.helpers import open_page


def _admin(data: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "clickclack", "admin", *args, "--data",
                          str(data)], cwd=ROOT, check=True, capture_output=True, text=True,
                         timeout=60).stdout
    return out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def signed_out_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("invite-data")
    _admin(data, "bootstrap")
    server = _start_server(data, dev_bootstrap=False)
    try:
        yield server
    finally:
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=15)
        if server.proc.stdout is not None:
            server.proc.stdout.close()


def test_an_invite_opened_while_signed_out_survives_the_sign_in(browser, signed_out_server):
    server = signed_out_server
    token = _admin(server.data, "invite", "create", "--workspace", "clickclack")
    assert token.startswith("cci_"), token
    w = open_page(browser.new_context(), f"{server.url}/invite/{token}")
    page = w.page
    # Signed out: the sign-in page.  The server mails nothing and is not in dev bootstrap, so
    # the page says where a link comes from and offers no one-click local sign-in.
    expect(page.get_by_role("heading", name="Sign in to ClickClack")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("clickclack admin magic-link create")
    expect(page.get_by_role("button", name=re.compile("Local Captain"))).to_have_count(0)
    # The newcomer signs in through a link the operator made (no mail server here).
    magic = _admin(server.data, "magic-link", "create", "--email", "nia@example.com",
                   "--name", "Nia Newcomer")
    page.goto(f"{server.url}/login?magic_token={magic}")
    join = page.get_by_role("dialog", name="Join a workspace")
    expect(join.get_by_role("heading", name=re.compile(r"^Join "))).to_be_visible()
    join.get_by_role("button", name="Join workspace").click()
    expect(page.get_by_role("heading", level=1, name="#general")).to_be_visible()
    expect(join).to_have_count(0)
    # Really a member now: the invite's single use is spent.
    with server.client() as api:
        assert api.get(f"/api/invites/{token}").status_code in (404, 410)
    # Signed out, the app's first GET /api/me answers 401 (the browser logs it); nothing else.
    problems = [p for p in w.problems if "status of 401" not in p]
    assert problems == [], w.problems
