"""./scripts/serve as a person runs it: honours CLICKCLACK_* env, passes extra arguments on,
prints where to go and how to sign in, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import trio

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_scripts_serve_honours_env_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {**os.environ, "CLICKCLACK_ADDR": f"127.0.0.1:{port}",
           "CLICKCLACK_DATA": str(tmp_path / "d"), "CLICKCLACK_DEV_BOOTSTRAP": "true"}
    proc = await trio.lowlevel.open_process(
        [str(ROOT / "scripts" / "serve"), "--metrics-enabled"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    try:
        with trio.fail_after(120):  # may install into .venv on a fresh clone
            while b"Stop: Ctrl+C" not in out:
                chunk = await proc.stdout.receive_some(4096)
                assert chunk, out.decode()
                out += chunk
        text = out.decode()
        assert re.search(rf"serving on http://127\.0\.0\.1:{port}", text)
        assert "Local Captain" in text  # how to sign in
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/api/me")).json()["user"]["display_name"] == "Local Captain"
            assert (await http.get("/metrics")).status_code == 200  # extra argument passed on
        assert (tmp_path / "d" / "clickclack.db").exists()
        proc.send_signal(signal.SIGTERM)
        with trio.fail_after(15):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.stdout.aclose()
