"""Client commands: the installed CLI as a subprocess against a real server and data directory
(login, reading, posting, threads, reactions, search, exit codes, --json parsed back)."""

from __future__ import annotations

import http.server
import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import Cli, Server, free_port, sign_in


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("cli-client") / "data").start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def cli(server: Server, tmp_path: Path) -> Cli:
    return Cli(tmp_path, server.url)


def test_login_stores_a_private_config_and_whoami(server, cli, tmp_path):
    token = sign_in(cli, server.data, "ada@example.com", "Ada")
    assert token.startswith("sst_")
    path = tmp_path / "config" / "clickclack" / "config.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["servers"][server.url]["token"] == token
    assert saved["default_server"] == server.url

    me = cli.json("whoami")
    assert me["user"]["display_name"] == "Ada"
    assert cli.ok("whoami", "--plain").strip() == me["user"]["id"]
    # the saved server is the default even without the env variable
    bare = Cli(tmp_path)
    assert bare.ok("whoami", "--plain").strip() == me["user"]["id"]
    # a saved token is never sent to another server
    other = bare.run("whoami", "--server", f"http://127.0.0.1:{free_port()}")
    assert other.returncode == 10

    assert cli.ok("logout").startswith("logged out")
    assert server.url not in json.loads(path.read_text())["servers"]
    r = cli.run("whoami", "--token", token)  # the session was ended on the server too
    assert r.returncode == 3


def test_workspaces_channels_messages_threads_reactions_search(server, cli, tmp_path):
    sign_in(cli, server.data, "bea@example.com", "Bea")
    spaces = cli.json("workspaces", "list")["workspaces"]
    assert [w["slug"] for w in spaces] == ["clickclack"]
    assert cli.ok("workspaces", "list").split()[:2] == [spaces[0]["id"], "clickclack"]

    created = cli.json("channels", "create", "#cli-tests")
    chan = created["channel"]["id"]
    listed = cli.json("channels", "list", "--workspace", "ClickClack")["channels"]
    assert {"general", "cli-tests"} <= {c["name"] for c in listed}
    assert chan in cli.ok("channels", "list", "--plain").split()

    first = cli.ok("send", "--channel", "#cli-tests", "hello from the cli", "--plain").strip()
    assert first.startswith("msg_")
    (tmp_path / "note.md").write_text("from a *file*")
    cli.ok("send", "--channel", chan, "--file", str(tmp_path / "note.md"))
    cli.ok("send", "--channel", "cli-tests", "--stdin", input="from stdin\n")
    quoted = cli.json("send", "--channel", "cli-tests", "--reply-to", first, "quoting")
    assert first in json.dumps(quoted["message"])  # the quote names the quoted message
    reply = cli.ok("send", "--thread", first, "in the thread", "--plain").strip()
    reply2 = cli.ok("threads", "reply", first, "second reply", "--plain").strip()

    page = cli.json("messages", "list", "--channel", "cli-tests")
    bodies = [m["body"] for m in page["messages"]]
    assert bodies == ["hello from the cli", "from a *file*", "from stdin", "quoting"]
    human = cli.ok("messages", "list", "--channel", "cli-tests").splitlines()
    assert human[0].split(" ", 3)[0:2] == ["1", first]

    thread = cli.json("threads", "open", first)
    assert [m["id"] for m in thread["replies"]] == [reply, reply2]
    assert cli.ok("threads", "open", first, "--plain").split() == [reply, reply2]

    cli.ok("reactions", "add", first, "👍")
    assert cli.json("messages", "list", "--channel", "cli-tests")["messages"][0]["reactions"]
    cli.ok("reactions", "remove", first, "👍")
    assert not cli.json("messages", "list", "--channel", "cli-tests")["messages"][0].get(
        "reactions")

    found = cli.json("search", "hello")["results"]
    assert [r["id"] for r in found] == [first]
    assert cli.ok("search", "hello").startswith(f"{first} cli-tests hello")


def bot_writer(cli: Cli, server: Server, owner: str) -> str:
    return cli.ok("admin", "bot", "create", "--data", str(server.data), "--workspace",
                  "clickclack", "--created-by", owner, "--name", "Writer", "--plain").strip()


class _Html(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>not an api</html>")

    def log_message(self, *args: object) -> None:
        pass


def test_exit_codes_and_json_errors(server, cli, tmp_path):
    sign_in(cli, server.data, "cy@example.com", "Cy")
    r = cli.run("whoami", "--token", "sst_not_a_real_token", "--json")
    assert r.returncode == 3
    err = json.loads(r.stderr.strip().splitlines()[-1])
    assert err["exit_code"] == 3 and err["status"] == 401 and err["error"]

    r = cli.run("--json", "--token", "sst_not_a_real_token", "whoami")  # flags before the command
    assert r.returncode == 3 and json.loads(r.stderr)["code"] == err["code"]

    r = cli.run("threads", "open", "msg_01m82kr0m3c3pnvamp47j42j7x")
    assert r.returncode == 4 and r.stderr.startswith("error: ")
    assert cli.run("messages", "list", "--channel", "no-such-channel").returncode == 4
    assert cli.run("channels", "list", "--workspace", "nope").returncode == 4

    # forbidden: a bot token whose scopes do not allow posting
    owner = cli.ok("admin", "bootstrap", "--data", str(server.data)).strip()
    bot = cli.ok("admin", "bot", "create", "--data", str(server.data), "--workspace",
                 "clickclack", "--created-by", owner, "--name", "Reader", "--scopes",
                 "messages:read", "--plain").strip()
    r = cli.run("send", "hi", "--token", bot, "--json")
    assert r.returncode == 5, r.stderr
    assert json.loads(r.stderr)["status"] == 403

    r = cli.run("progress", "working", "--json")  # agent.progress is for bot tokens only
    assert r.returncode == 5 and json.loads(r.stderr)["status"] == 403
    assert cli.ok("progress", "working", "--token", bot_writer(cli, server, owner),
                  "--plain").startswith("eph_")

    r = cli.run("whoami", "--server", f"http://127.0.0.1:{free_port()}", "--json")
    assert r.returncode == 10 and json.loads(r.stderr)["code"] == "network_error"

    html = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    threading.Thread(target=html.serve_forever, daemon=True).start()
    try:
        r = cli.run("whoami", "--server", f"http://127.0.0.1:{html.server_address[1]}")
        assert r.returncode == 11, r.stderr
    finally:
        html.shutdown()
        html.server_close()

    assert cli.run("send").returncode == 2  # usage: no body
    assert cli.run("messages", "list", "--limit", "0").returncode == 2
    assert cli.run("no-such-command").returncode == 2
    fresh = Cli(tmp_path / "fresh", server.url)
    assert fresh.run("login").returncode == 2  # neither --magic-token nor a token


def test_upload_streams_a_file_and_attaches_it(server, cli, tmp_path):
    sign_in(cli, server.data, "dee@example.com", "Dee")
    blob = tmp_path / "notes.bin"
    blob.write_bytes(bytes(range(256)) * 1000)
    line = cli.ok("upload", str(blob)).split()
    assert line[0].startswith("upl_") and line[1:] == ["notes.bin", "256000"]
    out = cli.json("upload", str(blob), "--message", "see attached", "--nonce", "up-1")
    assert out["upload"]["byte_size"] == 256000
    assert out["message"]["body"] == "see attached"
    again = cli.json("upload", str(blob), "--nonce", "up-1")  # idempotent by nonce
    assert again["upload"]["id"] == out["upload"]["id"]
    assert cli.run("upload", str(tmp_path / "missing.bin")).returncode == 2
