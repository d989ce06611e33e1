"""Run ``python -m clickclack serve`` as a real child process (signals, kill -9, restarts)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import trio

_URL = re.compile(rb"serving on (http://[\d.]+:\d+)")


class ServerProcess:
    def __init__(self, data: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data = data
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.proc: trio.Process | None = None
        self.url = ""
        self.output = b""

    async def start(self, nursery: trio.Nursery, startup_s: float = 20) -> str:
        cmd = [sys.executable, "-m", "clickclack", "serve", "--data", str(self.data),
               "--addr", "127.0.0.1:0", *self.args]
        self.proc = await trio.lowlevel.open_process(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env)
        assert self.proc.stdout is not None
        with trio.fail_after(startup_s):
            while not (m := _URL.search(self.output)):
                chunk = await self.proc.stdout.receive_some(4096)
                if not chunk:
                    raise RuntimeError(f"server exited early:\n{self.output.decode()}")
                self.output += chunk
        self.url = m.group(1).decode()
        nursery.start_soon(self._drain)
        return self.url

    async def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while chunk := await self.proc.stdout.receive_some(4096):
                self.output += chunk
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass  # ensure_dead() closed the pipe

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self, within_s: float) -> int:
        assert self.proc is not None
        with trio.fail_after(within_s):
            return await self.proc.wait()

    async def kill9(self) -> None:
        self.signal(signal.SIGKILL)
        await self.wait(10)

    def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()


def early_answer_exchange(host: str, port: int, head: bytes, body: bytes) -> bytes:
    """Headers, a pause (the server may answer before the body arrives), the body, then a second
    request on the same keep-alive connection; returns everything read within a second.  A
    stalled connection (reliability.md 0.6) shows as only one response."""
    import socket
    import time

    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(head)
        time.sleep(0.1)  # the pause is the point of the test, not synchronisation
        s.sendall(body)
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        s.settimeout(1.0)
        got = b""
        while b'{"status":"ok"}' not in got:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            got += chunk
        return got
