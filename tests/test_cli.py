"""The operator commands share the store with the server."""

import subprocess
import sys

from click.testing import CliRunner

from clickclack.cli import cli


def run(*args):
    return subprocess.run([sys.executable, "-m", "clickclack", *args], capture_output=True,
                          text=True, timeout=60)


def test_version_and_help():
    r = run("version")
    assert r.returncode == 0 and r.stdout.startswith("clickclack ")
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--dev-bootstrap" in result.output and "CLICKCLACK_ADDR" in result.output


def test_bad_flag_value_is_a_usage_error(tmp_path):
    r = run("serve", "--data", str(tmp_path), "--synchronous", "sometimes")
    assert r.returncode == 2
    assert "FULL or NORMAL" in r.stderr


def test_migrate_bootstrap_and_magic_link(tmp_path):
    data = str(tmp_path / "d")
    assert run("migrate", "--data", data).returncode == 0
    r = run("admin", "bootstrap", "--data", data)
    assert r.returncode == 0 and r.stdout.startswith("usr_")
    again = run("admin", "bootstrap", "--data", data)
    assert again.stdout == r.stdout  # idempotent
    r = run("admin", "magic-link", "create", "--data", data, "--email", "ada@example.com")
    assert r.returncode == 0 and r.stdout.startswith("mgt_")
    bad = run("admin", "magic-link", "create", "--data", data, "--email", "not-an-email")
    assert bad.returncode == 1 and "email_invalid" in bad.stderr
