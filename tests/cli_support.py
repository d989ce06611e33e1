"""A real server as a child process, and the installed CLI run as subprocesses against it, for
the CLI tests (tests/test_cli_client*.py, tests/test_cli_operator*.py, tests/test_cli_docs.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

_URL = re.compile(r"serving on (http://[\d.]+:\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``clickclack serve --dev-bootstrap`` on a data directory and a fixed port, so a restart
    keeps the URL (and the CLI's saved config and cursors)."""

    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clickclack", "serve", "--data", str(self.data), "--addr",
             f"127.0.0.1:{self.port}", "--dev-bootstrap", "--access-log", "off"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        seen = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited early:\n{seen}")
            seen += line
            if _URL.search(line):
                return self
        raise RuntimeError(f"server did not start:\n{seen}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


class Cli:
    """The ``clickclack`` command with its own XDG config and state directories."""

    def __init__(self, home: Path, server: str = "") -> None:
        self.env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"),
                    "XDG_STATE_HOME": str(home / "state"), "NO_COLOR": "1"}
        for key in ("CLICKCLACK_TOKEN", "CLICKCLACK_WORKSPACE", "CLICKCLACK_CHANNEL"):
            self.env.pop(key, None)
        if server:
            self.env["CLICKCLACK_SERVER"] = server

    def run(self, *args: str, input: str | None = None, timeout: float = 60,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "clickclack", *args], input=input,
                              capture_output=True, text=True, timeout=timeout, check=False,
                              env={**self.env, **(env or {})})

    def ok(self, *args: str, input: str | None = None) -> str:
        r = self.run(*args, input=input)
        assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        return r.stdout

    def json(self, *args: str) -> dict:
        return json.loads(self.ok(*args, "--json"))

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "clickclack", *args], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def following(self, *args: str, connects: int = 1) -> tuple[subprocess.Popen[str], str]:
        """A ``tail`` started and connected ``connects`` times (it says so on stderr each time);
        returns the process and what it said on stderr so far."""
        proc = self.popen(*args)
        assert proc.stderr is not None
        said = ""
        while said.count("tail: following") < connects:
            line = proc.stderr.readline()
            assert line, f"the tail exited: {said}"
            said += line
        return proc, said


def sign_in(cli: Cli, data: Path, email: str, name: str = "", workspace: str = "clickclack"
            ) -> str:
    """A member of the workspace with a saved session: admin commands, then ``login``."""
    cli.ok("admin", "user", "create", "--data", str(data), "--email", email, "--name",
           name or email.split("@")[0], "--workspace", workspace)
    token = cli.ok("admin", "magic-link", "create", "--data", str(data), "--email", email).strip()
    return cli.ok("login", "--magic-token", token, "--plain").strip()
