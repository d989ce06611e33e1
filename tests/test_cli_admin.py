"""Operator commands for people, memberships and invites: subprocesses on a data directory,
alone and while a server runs on the same directory (the store's BEGIN IMMEDIATE and busy
timeout make that safe).  They go through the same store functions as the HTTP handlers."""

from __future__ import annotations

import json
import subprocess
import sys

import trio
from click.testing import CliRunner

from clickclack.cli import cli
from clickclack.store.connection import open_read
from tests.conftest import sign_up


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clickclack", *args], capture_output=True,
                          text=True, timeout=60, check=False)


async def arun(*args: str) -> subprocess.CompletedProcess[bytes]:
    """The same, from a trio test whose server runs in this process: never block the loop."""
    with trio.fail_after(60):
        return await trio.run_process([sys.executable, "-m", "clickclack", *args],
                                      capture_stdout=True, capture_stderr=True, check=False)


def error_of(result) -> dict:
    err = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
    return json.loads(err.strip().splitlines()[-1])


def test_user_member_and_invite_commands_on_a_data_dir(tmp_path):
    data = str(tmp_path / "d")
    owner = run("admin", "bootstrap", "--data", data).stdout.strip()
    assert owner.startswith("usr_")

    r = run("admin", "user", "create", "--data", data, "--name", "Ada", "--email",
            "Ada@Example.com", "--workspace", "clickclack")
    assert r.returncode == 0, r.stderr
    ada = r.stdout.strip()
    assert ada.startswith("usr_") and len(ada) == 30 and r.stdout.count("\n") == 1
    r = run("admin", "user", "create", "--data", data, "--email", "bob@example.com")
    assert r.returncode == 0, r.stderr
    bob = r.stdout.strip()

    db = open_read(tmp_path / "d" / "clickclack.db")
    ws_id = db.execute("SELECT id FROM workspaces WHERE slug = 'clickclack'").fetchone()[0]

    def membership(uid):
        return db.execute("SELECT role, sort_name FROM workspace_members WHERE user_id = ?"
                          " AND workspace_id = ?", (uid, ws_id)).fetchone()

    assert tuple(membership(ada)) == ("member", "ada")
    assert membership(bob) is None
    name = db.execute("SELECT display_name FROM users WHERE id = ?", (bob,)).fetchone()[0]
    assert name == "Local User"  # the default --name

    # member add: by email or id, by slug or id; an existing member keeps their role
    r = run("admin", "member", "add", "--data", data, "--workspace", "clickclack",
            "--email", "ADA@example.com", "--role", "moderator")
    assert r.stdout == f"workspace={ws_id} user={ada} role=member status=already_member\n"
    r = run("admin", "member", "add", "--data", data, "--workspace", ws_id, "--user", bob,
            "--role", "moderator")
    assert r.stdout == f"workspace={ws_id} user={bob} role=moderator status=added\n"
    assert tuple(membership(bob)) == ("moderator", "local user")
    r = run("admin", "member", "add", "--data", data, "--workspace", "clickclack",
            "--user", owner)
    assert r.stdout == f"workspace={ws_id} user={owner} role=owner status=already_member\n"

    # invites: the token is printed once, only its digest is stored
    r = run("admin", "invite", "create", "--data", data, "--workspace", "clickclack",
            "--expires-in-hours", "2", "--max-uses", "3")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.startswith("cci_") and r.stdout.count("\n") == 1
    row = db.execute("SELECT workspace_id, max_uses, uses, created_by FROM invites").fetchone()
    assert tuple(row) == (ws_id, 3, 0, None)  # made by the operator, not by a user
    r = run("admin", "invite", "create", "--data", data, "--workspace", ws_id)
    assert r.returncode == 0 and r.stdout.strip() != token
    assert [tuple(x) for x in db.execute("SELECT max_uses FROM invites ORDER BY created_at")
            ] == [(3,), (1,)]
    db.close()


def test_domain_errors_exit_1_with_json_and_usage_errors_exit_2(tmp_path):
    data = str(tmp_path / "d")
    assert run("admin", "bootstrap", "--data", data).returncode == 0
    cases = [
        (("admin", "member", "add", "--workspace", "nope", "--email", "local@clickclack.chat"),
         "workspace_not_found"),
        (("admin", "member", "add", "--workspace", "clickclack", "--email", "who@example.com"),
         "user_not_found"),
        (("admin", "member", "add", "--workspace", "clickclack", "--user", "usr_nobody"),
         "user_not_found"),
        (("admin", "user", "create", "--email", "local@clickclack.chat"), "email_taken"),
        (("admin", "user", "create", "--email", "not-an-email"), "email_invalid"),
        (("admin", "user", "create", "--email", "new@example.com", "--workspace", "nope"),
         "workspace_not_found"),
        (("admin", "invite", "create", "--workspace", "nope"), "workspace_not_found"),
        (("admin", "invite", "create", "--workspace", "clickclack", "--max-uses", "0"),
         "invalid_max_uses"),
        (("admin", "invite", "create", "--workspace", "clickclack", "--expires-in-hours",
          "721"), "invalid_expires_in_hours"),
    ]
    for args, code in cases:
        r = run(*args, "--data", data)
        assert r.returncode == 1, (args, r.stderr)
        assert r.stdout == ""
        assert error_of(r)["code"] == code, args
    # a failed "user create --workspace" created nobody
    db = open_read(tmp_path / "d" / "clickclack.db")
    assert db.execute("SELECT COUNT(*) FROM identities WHERE email = 'new@example.com'"
                      ).fetchone()[0] == 0
    db.close()
    for args in (
        ("admin", "member", "add", "--workspace", "clickclack"),  # neither --email nor --user
        ("admin", "member", "add", "--workspace", "clickclack", "--email", "a@b.co", "--user",
         "usr_x"),
        ("admin", "member", "add", "--workspace", "clickclack", "--user", "usr_x", "--role",
         "owner"),
        ("admin", "invite", "create"),  # --workspace is required
        ("admin", "user", "create"),  # --email is required
    ):
        r = run(*args, "--data", data)
        assert r.returncode == 2, (args, r.stderr)


def test_every_admin_command_documents_an_example():
    runner = CliRunner()
    for path in (["admin", "user", "create"], ["admin", "member", "add"],
                 ["admin", "invite", "create"]):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example:" in result.output and f"clickclack {' '.join(path)}" in result.output


async def test_commands_against_a_running_server(server, http):
    data = server.config.data
    # an invite made by the operator is accepted over HTTP
    r = await arun("admin", "invite", "create", "--data", data, "--workspace", "clickclack",
                   "--max-uses", "2")
    assert r.returncode == 0, r.stderr
    token = r.stdout.decode().strip()
    preview = await http.get(f"/api/invites/{token}")
    assert preview.status_code == 200, preview.text
    assert preview.json()["invite"]["workspace"]["slug"] == "clickclack"
    ada = await sign_up(http, "ada@example.com", "Ada")
    r2 = await http.post(f"/api/invites/{token}/accept", headers=ada.headers)
    assert r2.status_code == 200, r2.text
    ws_id = r2.json()["workspace"]["id"]

    # a user created by the operator shows up in the directory the server serves
    r = await arun("admin", "user", "create", "--data", data, "--name", "Zed Operator",
                   "--email", "zed@example.com", "--workspace", ws_id)
    assert r.returncode == 0, r.stderr
    zed = r.stdout.decode().strip()
    page = (await http.get(f"/api/workspaces/{ws_id}/members", params={"q": "zed op"})).json()
    assert [m["user"]["id"] for m in page["members"]] == [zed]

    # a member made moderator by the operator can now manage the workspace over HTTP
    bob = await sign_up(http, "bob@example.com")
    r = await http.patch(f"/api/workspaces/{ws_id}", json={"name": "x"}, headers=bob.headers)
    assert r.status_code == 404
    r = await arun("admin", "member", "add", "--data", data, "--workspace", "clickclack",
                   "--email", "bob@example.com", "--role", "moderator")
    assert r.stdout.decode() == (
        f"workspace={ws_id} user={bob.user_id} role=moderator status=added\n")
    r = await http.patch(f"/api/workspaces/{ws_id}", json={"name": "Renamed"},
                         headers=bob.headers)
    assert r.status_code == 200, r.text

    # operator and server writing at the same time: both land, nothing is lost
    people = [await sign_up(http, f"p{i}@example.com") for i in range(4)]
    statuses: list[int] = []

    async def cli_user(i):
        result = await arun("admin", "user", "create", "--data", data, "--email",
                            f"cli{i}@example.com", "--workspace", ws_id)
        assert result.returncode == 0, result.stderr

    async def accept(person):
        statuses.append((await http.post(f"/api/invites/{token}/accept",
                                          headers=person.headers)).status_code)

    with trio.fail_after(60):
        async with trio.open_nursery() as n:
            for i in range(3):
                n.start_soon(cli_user, i)
            for p in people:
                n.start_soon(accept, p)
    assert sorted(statuses) == [200, 404, 404, 404]
    page = (await http.get(f"/api/workspaces/{ws_id}/members", params={"limit": 200})).json()
    ids = {m["user"]["id"] for m in page["members"]}
    joined_by_invite = [p for p in people if p.user_id in ids]
    assert len(joined_by_invite) == 1  # the invite had two uses: Ada took one
    assert page["total_count"] == 1 + 1 + 1 + 1 + 3 + 1  # owner, ada, zed, bob, cli0-2, one p
