"""Browser tests: Playwright (Python, sync API) drives Debian's chromium -- never a downloaded
browser -- against a real server process (python -m clickclack serve on 127.0.0.1, port 0, dev
bootstrap, its own data directory) serving the built web app (spa/dist).

They skip only when chromium is not installed (./scripts/install-browser installs it with apt
when it can).  Each test has a time limit (SIGALRM) and Playwright's own per-call timeouts; no
test waits by sleeping: locators and expect() wait for what they check.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_TIME_LIMIT_S = 90
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@contextmanager
def time_limit(seconds: int, what: str) -> Iterator[None]:
    """SIGALRM after ``seconds``: a sync Playwright call cannot be cancelled any other way."""
    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"{what} exceeded {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _time_limit() -> Iterator[None]:
    with time_limit(TEST_TIME_LIMIT_S, "browser test"):
        yield


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or next(
        (p for p in ("/usr/bin/chromium",) if os.access(p, os.X_OK)), None)
    if path is None:
        pytest.skip("Debian's chromium is not installed and could not be installed here "
                    "(./scripts/install-browser needs root and apt-get); browser tests skipped")
    return path


@dataclass
class LiveServer:
    url: str
    data: Path
    proc: subprocess.Popen[bytes]
    output: list[str] = field(default_factory=list)

    @property
    def db(self) -> str:
        return str(self.data / "clickclack.db")

    def client(self, token: str | None = None) -> httpx.Client:
        """An API client: Local Captain through dev bootstrap, or a bearer session."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=15)


def _start_server(data: Path, *, dev_bootstrap: bool = True) -> LiveServer:
    proc = subprocess.Popen(
        [sys.executable, "-m", "clickclack", "serve", "--data", str(data), "--addr",
         "127.0.0.1:0", "--graceful-timeout", "1",
         *(["--dev-bootstrap"] if dev_bootstrap else [])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            output.append(line)
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            proc.kill()
            raise RuntimeError("server did not start in 30 s:\n" + "".join(output)) from None
        if not line:
            raise RuntimeError("server exited early:\n" + "".join(output))
        if m := re.search(r"serving on (http://[\d.]+:\d+)", line):
            return LiveServer(m.group(1), data, proc, output)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not (ROOT / "spa" / "dist" / "index.html").is_file():
        pytest.fail("spa/dist is missing: build the web app with ./scripts/build-spa "
                    "(./scripts/test does this first)")
    server = _start_server(tmp_path_factory.mktemp("browser-data"))
    try:
        yield server
    finally:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=5)
        if server.proc.stdout is not None:
            server.proc.stdout.close()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield b
        finally:
            b.close()
