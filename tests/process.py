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
