"""Operator commands as subprocesses on a real data directory: backup during a burst of posts
(restored, integrity-checked, every message acknowledged before the backup present), restore's
refusals, export, bot create and events prune."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import httpx

from tests.cli_support import Cli, Server, sign_in


def _count(db: Path, sql: str, *params: object) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


def test_backup_during_a_burst_restores_every_acknowledged_message(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    cli = Cli(tmp_path, server.url)
    try:
        token = sign_in(cli, data, "ops@example.com", "Ops")
        with httpx.Client(base_url=server.url,
                          headers={"Authorization": f"Bearer {token}"}) as http:
            ws = http.get("/api/workspaces").json()["workspaces"][0]["id"]
            chans = http.get(f"/api/workspaces/{ws}/channels").json()["channels"]
            general = next(c["id"] for c in chans if c["name"] == "general")
            acked: list[str] = []
            stop = threading.Event()

            def burst() -> None:
                i = 0
                while not stop.is_set():
                    r = http.post(f"/api/channels/{general}/messages",
                                  json={"body": f"burst {i}", "nonce": f"b{i}"})
                    assert r.status_code in (200, 201), r.text
                    acked.append(r.json()["message"]["id"])
                    i += 1

            poster = threading.Thread(target=burst)
            poster.start()
            try:
                while len(acked) < 20:
                    threading.Event().wait(0.05)
                before = list(acked)  # acknowledged before the backup began
                out = cli.json("backup", "--data", str(data), "--out",
                               str(tmp_path / "b" / "copy.db"))
            finally:
                stop.set()
                poster.join(30)
        assert out["integrity"] == "ok" and out["bytes"] > 0
        assert len(acked) > len(before)
        backup = tmp_path / "b" / "copy.db"
        assert not list(backup.parent.glob("*.partial*"))  # no stray -wal/-shm or temp file
    finally:
        server.stop()

    # restore into a fresh data directory, then start a server on it
    restored = tmp_path / "restored"
    cli.ok("restore", "--data", str(restored), "--from", str(backup))
    db = restored / "clickclack.db"
    assert _count(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'")
    have = {row for (row,) in sqlite3.connect(db).execute("SELECT id FROM messages")}
    assert set(before) <= have
    again = Server(restored).start()
    try:
        assert httpx.get(f"{again.url}/health").status_code == 200
    finally:
        again.stop()

    # refusals: an existing database without --force; a file that is not a database
    r = cli.run("restore", "--data", str(restored), "--from", str(backup))
    assert r.returncode == 1 and "--force" in json.loads(r.stderr)["error"]
    cli.ok("restore", "--data", str(restored), "--from", str(backup), "--force")
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all" * 100)
    r = cli.run("restore", "--data", str(tmp_path / "r2"), "--from", str(tmp_path / "junk.db"))
    assert r.returncode == 1 and "integrity" in r.stderr
    assert not (tmp_path / "r2" / "clickclack.db").exists()
    r = cli.run("backup", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "x.db"))
    assert r.returncode == 1
    assert cli.run("backup", "--data", str(data)).returncode == 2  # --out is required


def test_export_bot_create_and_events_prune(tmp_path):
    data = tmp_path / "data"
    server = Server(data).start()
    cli = Cli(tmp_path, server.url)
    try:
        sign_in(cli, data, "ex@example.com", "Ex")
        for i in range(3):
            cli.ok("send", f"export me {i}")
        owner = cli.ok("admin", "bootstrap", "--data", str(data)).strip()

        # a bot token printed once, usable right away against the running server
        issued = cli.json("admin", "bot", "create", "--data", str(data), "--workspace",
                          "clickclack", "--created-by", owner, "--name", "Helper",
                          "--handle", "helper")
        assert issued["token"].startswith("ccb_") and issued["bot"]["kind"] == "bot"
        assert "messages:write" in issued["bot_token"]["scopes"]  # bot:write expands
        me = cli.json("whoami", "--token", issued["token"])
        assert me["user"]["id"] == issued["bot"]["id"]
        assert cli.ok("send", "--token", issued["token"], "from the bot", "--plain").startswith(
            "msg_")
        plain = cli.ok("admin", "bot", "create", "--data", str(data), "--workspace",
                       "clickclack", "--created-by", owner, "--name", "Quiet", "--plain")
        assert plain.strip().startswith("ccb_") and plain.count("\n") == 1
        r = cli.run("admin", "bot", "create", "--data", str(data), "--workspace", "clickclack",
                    "--created-by", owner, "--name", "Dup", "--handle", "helper")
        assert r.returncode == 1 and json.loads(r.stderr)["code"] == "handle_taken"

        # export: one JSON object, no secrets
        dump = json.loads(cli.ok("export", "--data", str(data)))
        assert dump["format"] == "clickclack-export/1"
        bodies = [m["body"] for m in dump["messages"]]
        assert bodies == ["export me 0", "export me 1", "export me 2", "from the bot"]
        assert {u["display_name"] for u in dump["users"]} >= {"Ex", "Helper", "Quiet"}
        text = json.dumps(dump)
        assert "ccb_" not in text and "sst_" not in text and "ex@example.com" not in text
        cli.ok("export", "--data", str(data), "--out", str(tmp_path / "e.json"))
        assert json.loads((tmp_path / "e.json").read_text()) == dump

        # events prune: bounds are required and exclusive; --keep-latest spares the newest
        db = data / "clickclack.db"
        total = _count(db, "SELECT count(*) FROM events")
        assert total > 3
        assert cli.run("admin", "events", "prune", "--data", str(data), "--workspace",
                       "clickclack").returncode == 2
        assert cli.run("admin", "events", "prune", "--data", str(data), "--workspace",
                       "clickclack", "--before", "2030-01-01T00:00:00Z", "--older-than-days",
                       "1").returncode == 2
        assert cli.ok("admin", "events", "prune", "--data", str(data), "--workspace",
                      "clickclack", "--older-than-days", "30") == "pruned 0 events\n"
        out = cli.ok("admin", "events", "prune", "--data", str(data), "--workspace",
                     "clickclack", "--older-than-days", "0", "--keep-latest", "2")
        assert out == f"pruned {total - 2} events\n"
        assert _count(db, "SELECT count(*) FROM events") == 2
        r = cli.run("admin", "events", "prune", "--data", str(data), "--workspace", "nope",
                    "--older-than-days", "0")
        assert r.returncode == 1
    finally:
        server.stop()
