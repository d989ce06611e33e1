"""``clickclack tail``: the websocket followed by a subprocess that saves its cursor, resuming
with no gap after both the tail and the server restart, and a fresh tail after a prune (4001)."""

from __future__ import annotations

import json
import subprocess

from tests.cli_support import Cli, Server, sign_in


def _tail(cli: Cli, *args: str) -> list[dict]:
    r = cli.run("events", "tail", *args, timeout=60)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def _started_tail(cli: Cli, *args: str) -> subprocess.Popen[str]:
    return cli.following("tail", "--json", *args)[0]


def test_tail_resumes_without_gaps_after_restarts(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    cli = Cli(tmp_path, server.url)
    try:
        sign_in(cli, data, "tailer@example.com", "Tailer")
        # first run: no saved cursor, starts at the tail and follows
        proc = _started_tail(cli, "--count", "2")
        ids = [cli.ok("send", f"live {i}", "--plain").strip() for i in range(2)]
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        seen = [json.loads(line)["payload"]["message_id"] for line in out.splitlines()]
        assert seen == ids

        # the tail is gone; the server restarts; messages arrive while nobody listens
        server.stop()
        server.start()
        missed = [cli.ok("send", f"missed {i}", "--plain").strip() for i in range(3)]
        server.stop()
        server.start()
        later = cli.ok("send", "after the second restart", "--plain").strip()
        events = _tail(cli, "--count", "4")
        assert [e["payload"]["message_id"] for e in events] == [*missed, later]
        cursors = [e["cursor"] for e in events]
        assert cursors == sorted(cursors)

        # human output, and nothing is repeated once the cursor is saved
        proc, _ = cli.following("tail", "--count", "1")
        last = cli.ok("send", "one more", "--plain").strip()
        out, _ = proc.communicate(timeout=60)
        cur, kind, _chan, payload = out.strip().split(" ", 3)
        assert cur.startswith("cur_") and kind == "message.created"
        assert json.loads(payload)["message_id"] == last

        # pruning the saved cursor away: the tail says so and starts from the current tail
        cli.ok("admin", "events", "prune", "--data", str(data), "--workspace", "clickclack",
               "--before", "9999-01-01T00:00:00Z")
        # connected, closed with 4001, connected again from a fresh tail
        proc, said = cli.following("events", "tail", "--count", "1", connects=2)
        fresh = cli.ok("send", "after the prune", "--plain").strip()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "4001" in said
        assert json.loads(out)["payload"]["message_id"] == fresh
    finally:
        server.stop()
