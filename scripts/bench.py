"""ClickClack benchmark harness: ``./scripts/bench`` (``--quick`` for a smoke test).

Every server is a real ``clickclack serve`` subprocess on a fresh temporary data directory,
bound to 127.0.0.1 on a free port, started with ``--dev-bootstrap --bench-echo --access-log off``
and stopped with SIGTERM (it must exit 0).  Readiness is a ``/healthz`` poll with a deadline.
Load always comes from *other* processes (this script re-runs itself as a worker: ``_load`` or
``_subs``).  With two or more CPUs the server is pinned to one CPU (``taskset``) and this script,
its workers and the poster to another, so the load generator does not steal the server's core.

The machine is shared and noisy, so the figures that matter are *ratios within one run*.

(a) Write throughput.  The ``_load`` worker is a trio program that keeps ``connections`` HTTP/1.1
    keep-alive connections busy with pre-encoded requests (a minimal client that reads
    ``Content-Length`` responses; httpx would cost more CPU than the server).  Each round is a
    warm-up, then a fixed measured window; throughput is responses completed in the window per
    second, latency is request-written to response-read for requests inside the window.  Rounds
    alternate ``POST /api/_bench/echo`` (same JSON body, no database: the ceiling) and
    ``POST /api/channels/{id}/messages`` (auth, validation, the single writer, ``COMMIT`` with
    ``synchronous=FULL``, the hub).  Reported: medians over rounds and post/echo.  A single-
    connection echo run gives the pure HTTP cost of one request, used as a reference in (c).
    A comparison server with ``--synchronous NORMAL`` gets one echo and one post round.

(b) Delivery latency.  The ``_subs`` worker opens N trio-websocket subscribers (64 handshakes at
    a time) with ``after_cursor`` = the current tail, then reports ready.  This script posts M
    messages with unique nonces, spaced by a fixed interval (rate control), stamping
    ``time.monotonic()`` when each POST was sent and when its response arrived (the ack).  Each
    subscriber stamps ``time.monotonic()`` when a frame arrives (before parsing it);
    CLOCK_MONOTONIC is system-wide, so the stamps compare across processes.  Frames may hold one
    event or a JSON array of events; events are matched by ``payload.nonce``.  Latency is
    receive - ack over every (message, subscriber) pair; receive - send is shown as well.
    Missing deliveries = N * M - pairs received (must be 0).

(c) History page.  100,000 messages are seeded into a fresh database *through the server's own
    code*: ``open_store`` with the dev bootstrap (what ``serve --dev-bootstrap`` runs at
    start-up), then ``clickclack.store.messages.post_message`` in write transactions of 5,000, so
    every row (message, event, ``channels.last_seq``) is exactly what a POST
    makes.  The server is started on that file and one connection fetches
    ``GET /api/channels/{id}/messages?limit=50`` (the latest page) and ``before_seq`` pages at
    random depths, sequentially.  The target is compared against the client-observed HTTP p50.
    For the breakdown, ``clickclack.store.messages.page`` (query + row building) and its JSON
    encoding are also timed in-process on a read-only connection (``open_read``).

Each phase runs under a time limit; a failed phase is reported and the next one runs.  Exit
status: 0 when every phase ran and every server exited 0 (a MISS is a result, not a failure),
1 otherwise.  ``--quick`` never writes docs/benchmarks.md: it prints the report or writes --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec
import trio
import trio_websocket
from wsproto.utilities import LocalProtocolError

import clickclack
from clickclack.actor import Actor
from clickclack.ids import new_id
from clickclack.store import PageQuery, open_store
from clickclack.store import messages as store_messages
from clickclack.store.connection import open_read
from clickclack.store.workspaces import ensure_bootstrap
from clickclack.store.writer import Tx

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve()
CLICKCLACK = ROOT / ".venv" / "bin" / "clickclack"
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
HOST = "127.0.0.1"

READY_TIMEOUT_S = 30.0  # a server must answer /healthz within this
READY_POLL_S = 0.05  # readiness poll interval (a readiness check, not synchronization)
STOP_TIMEOUT_S = 20.0  # SIGTERM -> exit; then SIGKILL
WORKER_SLACK_S = 30.0  # a worker may take this long beyond its planned run
WS_BATCH = 64  # websocket handshakes in flight at once
WS_CONNECT_TIMEOUT_S = 20.0  # one handshake
SEED_CHUNK = 5_000  # messages per seeding write transaction
PAGE_LIMIT = 50
RANDOM_SEED = 20_260_508

# Same bytes for the echo and the post: {"body": "<~110 chars>"}.
MESSAGE_TEXT = ("Benchmark message: the quick brown fox jumps over the lazy dog while "
                "the single writer commits a batch.")
REQUEST_BODY = json.dumps({"body": MESSAGE_TEXT})

TARGET_RATIO = 0.85
TARGET_DELIVERY_P99_MS = 200.0
TARGET_DELIVERY_AT = 1000
TARGET_PAGE_P50_MS = 2.0
TARGET_PAGE_AT = 100_000


# --- plan ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Plan:
    quick: bool
    connections: int
    warmup_s: float
    round_s: float
    rounds: int  # echo/post pairs at synchronous=FULL
    normal_rounds: int  # echo/post pairs at synchronous=NORMAL (comparison)
    single_s: float  # one-connection echo (pure HTTP cost of one request)
    subscribers: tuple[int, ...]
    fanout_messages: int
    fanout_spacing_s: float
    fanout_grace_s: float  # after the last ack, how long deliveries may still arrive
    seed_messages: int
    history_requests: int  # per page kind
    history_cap_s: float  # upper bound on each history run
    budgets_s: dict[str, float]  # per phase


FULL = Plan(
    quick=False, connections=32, warmup_s=1.5, round_s=9.0, rounds=3, normal_rounds=1,
    single_s=3.0, subscribers=(100, 1000), fanout_messages=60, fanout_spacing_s=0.2,
    fanout_grace_s=5.0, seed_messages=100_000, history_requests=2_000, history_cap_s=30.0,
    budgets_s={"throughput": 110.0, "normal": 40.0, "fanout": 90.0, "history": 80.0},
)
QUICK = Plan(
    quick=True, connections=32, warmup_s=0.3, round_s=1.5, rounds=1, normal_rounds=1,
    single_s=0.5, subscribers=(20, 100), fanout_messages=15, fanout_spacing_s=0.1,
    fanout_grace_s=2.0, seed_messages=10_000, history_requests=300, history_cap_s=10.0,
    budgets_s={"throughput": 30.0, "normal": 25.0, "fanout": 40.0, "history": 40.0},
)


# --- small helpers -------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) < 10:
        return f"{value:.2f} ms"
    if abs(value) < 100:
        return f"{value:.1f} ms"
    return f"{value:.0f} ms"


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}/s"


def free_port() -> int:
    """A port that was free a moment ago (bind port 0 on 127.0.0.1, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def raise_nofile_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``wanted`` (up to the hard limit); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = hard if hard != resource.RLIM_INFINITY else max(wanted, soft)
    new_soft = max(soft, min(wanted, ceiling))
    if new_soft != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    return new_soft


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


# --- CPU pinning ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Pinning:
    server_cpu: int | None
    load_cpu: int | None

    def describe(self) -> str:
        if self.server_cpu is None:
            return "not pinned (fewer than 2 CPUs or no taskset)"
        return (f"server on CPU {self.server_cpu} (taskset); this script, its load and "
                f"subscriber workers and the poster on CPU {self.load_cpu}")

    def server_prefix(self) -> list[str]:
        return [] if self.server_cpu is None else ["taskset", "-c", str(self.server_cpu)]


def choose_pinning() -> Pinning:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return Pinning(None, None)
    pin = Pinning(cpus[0], cpus[1])
    os.sched_setaffinity(0, {cpus[1]})  # children (the workers) inherit this
    return pin


# --- processes -----------------------------------------------------------------------------------

async def stop_process(proc: trio.Process, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL.  Runs even inside a cancelled scope."""
    with trio.CancelScope(shield=True):
        if proc.returncode is None:
            proc.terminate()
            with trio.move_on_after(timeout_s):
                await proc.wait()
        if proc.returncode is None:
            proc.kill()
            with trio.move_on_after(timeout_s):
                await proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                await stream.aclose()
    return proc.returncode


class LineReader:
    """Read newline-terminated lines from a trio receive stream."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self._stream = stream
        self._buf = bytearray()

    async def readline(self) -> str:
        while (i := self._buf.find(b"\n")) < 0:
            chunk = await self._stream.receive_some(65536)
            if not chunk:
                raise EOFError("worker closed its stdout before reporting")
            self._buf += chunk
        line = bytes(self._buf[:i])
        del self._buf[:i + 1]
        return line.decode()


async def run_worker(kind: str, spec: dict[str, Any], workdir: Path, timeout_s: float
                     ) -> dict[str, Any]:
    """Run ``bench.py <kind> <specfile>`` to completion; return the JSON it prints."""
    spec_path = workdir / f"{kind}-{new_id('spec')}.json"
    spec_path.write_text(json.dumps(spec))
    with trio.fail_after(timeout_s):
        done = await trio.run_process(
            [sys.executable, str(THIS), kind, str(spec_path)],
            capture_stdout=True, capture_stderr=True, check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace')[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- the server under test -----------------------------------------------------------------------

@dataclass(slots=True)
class Server:
    name: str
    port: int
    data_dir: Path
    log_path: Path
    proc: trio.Process

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


LOG_PROBLEM_MARKERS = (" ERROR ", " CRITICAL ", "Traceback")


@dataclass(slots=True)
class ServerChecks:
    """What every stopped server left behind: its exit code (must be 0) and any error lines
    in its log (there should be none)."""

    codes: list[tuple[str, int | None]] = field(default_factory=list)
    log_problems: list[tuple[str, str]] = field(default_factory=list)

    def record(self, name: str, code: int | None, log_path: Path) -> None:
        self.codes.append((name, code))
        try:
            lines = log_path.read_text(errors="replace").splitlines()
        except OSError:
            return
        problems = [line for line in lines if any(m in line for m in LOG_PROBLEM_MARKERS)]
        self.log_problems += [(name, line.strip()[:200]) for line in problems[:5]]

    def bad_exits(self) -> list[tuple[str, int | None]]:
        return [(name, code) for name, code in self.codes if code != 0]


async def wait_ready(server: Server, timeout_s: float) -> None:
    """Poll /healthz until it answers 200, the process dies, or the deadline passes."""
    try:
        with trio.fail_after(timeout_s):
            async with httpx.AsyncClient(base_url=server.base_url, timeout=2.0) as client:
                while True:
                    if server.proc.poll() is not None:
                        raise RuntimeError(
                            f"server {server.name} exited with {server.proc.returncode}:\n"
                            f"{log_tail(server.log_path)}")
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await trio.sleep(READY_POLL_S)
    except trio.TooSlowError:
        raise RuntimeError(f"server {server.name} not ready after {timeout_s:.0f} s:\n"
                           f"{log_tail(server.log_path)}") from None


@asynccontextmanager
async def running_server(
    workdir: Path, name: str, pinning: Pinning, checks: ServerChecks, *,
    data_dir: Path | None = None, synchronous: str | None = None,
) -> AsyncIterator[Server]:
    port = free_port()
    data = data_dir or workdir / f"data-{name}"
    log_path = workdir / f"server-{name}.log"
    cmd = [*pinning.server_prefix(), str(CLICKCLACK), "serve", "--data", str(data),
           "--addr", f"{HOST}:{port}", "--dev-bootstrap", "--bench-echo", "--access-log", "off"]
    if synchronous:
        cmd += ["--synchronous", synchronous]
    with log_path.open("wb") as log:
        proc = await trio.lowlevel.open_process(cmd, stdout=log, stderr=subprocess.STDOUT,
                                                cwd=str(ROOT))
    server = Server(name, port, data, log_path, proc)
    try:
        await wait_ready(server, READY_TIMEOUT_S)
        yield server
    finally:
        checks.record(name, await stop_process(proc), log_path)


@dataclass(frozen=True, slots=True)
class Target:
    workspace_id: str
    channel_id: str


def api_client(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base_url, timeout=10.0)


async def general_channel(client: httpx.AsyncClient) -> Target:
    resp = await client.get("/api/workspaces")
    resp.raise_for_status()
    ws_id = resp.json()["workspaces"][0]["id"]
    resp = await client.get(f"/api/workspaces/{ws_id}/channels")
    resp.raise_for_status()
    channels = {c["name"]: c["id"] for c in resp.json()["channels"]}
    return Target(ws_id, channels["general"])


async def tail_cursor(client: httpx.AsyncClient, workspace_id: str) -> str:
    resp = await client.get("/api/realtime/events", params={
        "workspace_id": workspace_id, "include_tail": "true", "limit": "1"})
    resp.raise_for_status()
    cursor: str = resp.json()["tail_cursor"]
    return cursor


async def smoke_check(client: httpx.AsyncClient, target: Target) -> None:
    """One echo and one post through httpx, checking the shapes the load worker will not."""
    echo = await client.post("/api/_bench/echo", content=REQUEST_BODY,
                             headers={"Content-Type": "application/json"})
    if echo.status_code != 201 or echo.json().get("echo") != MESSAGE_TEXT:
        raise RuntimeError(f"echo endpoint misbehaves: {echo.status_code} {echo.text[:300]}")
    post = await client.post(f"/api/channels/{target.channel_id}/messages",
                             json={"body": MESSAGE_TEXT, "nonce": new_id("smoke")})
    if post.status_code != 201 or "channel_seq" not in post.json().get("message", {}):
        raise RuntimeError(f"post endpoint misbehaves: {post.status_code} {post.text[:300]}")


# --- the load worker (_load): a minimal keep-alive HTTP/1.1 client --------------------------------

@dataclass(frozen=True, slots=True)
class LoadSpec:
    port: int
    requests: list[tuple[str, str, str | None]]  # (method, path, JSON body or None)
    connections: int
    warmup_s: float
    duration_s: float
    expect_status: int
    max_requests: int = 0  # stop after this many measured responses (0: no limit)
    watch_pid: int = 0  # report this process's CPU use over the measured window (0: none)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadSpec:
        reqs = [(str(m), str(p), b) for m, p, b in data.pop("requests")]
        return cls(requests=reqs, **data)


@dataclass(frozen=True, slots=True)
class LoadResult:
    ok: int
    errors: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    client_cpu: float  # the worker's CPU time / its busy wall time (1.0 = one full core)
    server_cpu: float  # watch_pid's CPU time (all threads) / measured window; NaN if unknown
    statuses: dict[str, int]


class ProtocolError(Exception):
    pass


def encode_request(method: str, path: str, body: str | None, port: int) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json"]
    payload = b""
    if body is not None:
        payload = body.encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def _content_length(head: bytes) -> int:
    """Content-Length from a lower-cased response head (the server never sends chunked)."""
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        raise ProtocolError("response without Content-Length")
    start += len(b"\r\ncontent-length:")
    end = head.find(b"\r\n", start)
    return int(head[start:end if end >= 0 else len(head)])


class RawHttpConnection:
    """One keep-alive connection: write a pre-encoded request, read one Content-Length
    response.  About 10x cheaper per request than httpx, so the client is not the bottleneck."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._stream: trio.SocketStream | None = None
        self._buf = bytearray()

    async def open(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()
        self._stream = await trio.open_tcp_stream(HOST, self._port)
        self._buf.clear()

    async def close(self) -> None:
        if self._stream is not None:
            await self._stream.aclose()
            self._stream = None

    async def _fill(self) -> None:
        assert self._stream is not None
        chunk = await self._stream.receive_some(65536)
        if not chunk:
            raise ProtocolError("server closed the connection")
        self._buf += chunk

    async def roundtrip(self, request: bytes) -> int:
        """Send ``request``; return the response status (the body is read and dropped)."""
        if self._stream is None:
            await self.open()
        assert self._stream is not None
        await self._stream.send_all(request)
        while (end := self._buf.find(b"\r\n\r\n")) < 0:
            await self._fill()
        head = bytes(self._buf[:end]).lower()
        del self._buf[:end + 4]
        status = int(head[9:12])
        length = _content_length(head)
        while len(self._buf) < length:
            await self._fill()
        del self._buf[:length]
        if b"\r\nconnection: close" in head:
            await self.close()
        return status


@dataclass(slots=True)
class _Tally:
    spec: LoadSpec
    window_start: float
    window_end: float
    ok: int = 0
    errors: int = 0
    last_done: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    def finished(self, now: float) -> bool:
        limit = self.spec.max_requests
        return now >= self.window_end or (limit > 0 and self.ok + self.errors >= limit)

    def record(self, started: float, ended: float, status: int) -> None:
        if ended < self.window_start or ended > self.window_end or self.finished(started):
            return  # warm-up, or past the measured window
        self.last_done = ended
        self.statuses[status] += 1
        if status != self.spec.expect_status:
            self.errors += 1
            return
        self.ok += 1
        if started >= self.window_start:
            self.latencies_ms.append((ended - started) * 1000)

    def error(self) -> None:
        if self.window_start <= time.perf_counter() <= self.window_end:
            self.errors += 1


async def _drive(conn: RawHttpConnection, first: int, requests: list[bytes], tally: _Tally
                 ) -> None:
    i = first
    while not tally.finished(time.perf_counter()):
        request = requests[i % len(requests)]
        i += 1
        started = time.perf_counter()
        try:
            status = await conn.roundtrip(request)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError, ProtocolError,
                ValueError):
            tally.error()
            await conn.open()
            continue
        tally.record(started, time.perf_counter(), status)
    await conn.close()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _sample_cpu(pid: int, tally: _Tally, out: list[float]) -> None:
    """Measure ``pid``'s CPU share over the measured window (the sleeps only place the two
    samples at the window's edges)."""
    await trio.sleep(max(0.0, tally.window_start - time.perf_counter()))
    cpu_a, wall_a = process_cpu_seconds(pid), time.perf_counter()
    await trio.sleep(max(0.0, tally.window_end - time.perf_counter()))
    cpu_b, wall_b = process_cpu_seconds(pid), time.perf_counter()
    out.append((cpu_b - cpu_a) / (wall_b - wall_a))


async def load_worker(spec: LoadSpec) -> LoadResult:
    requests = [encode_request(m, p, b, spec.port) for m, p, b in spec.requests]
    conns = [RawHttpConnection(spec.port) for _ in range(spec.connections)]
    async with trio.open_nursery() as nursery:
        for conn in conns:
            nursery.start_soon(conn.open)
    cpu0 = _cpu_seconds()
    start = time.perf_counter()
    tally = _Tally(spec, start + spec.warmup_s, start + spec.warmup_s + spec.duration_s)
    server_cpu: list[float] = []
    async with trio.open_nursery() as nursery:
        if spec.watch_pid:
            nursery.start_soon(_sample_cpu, spec.watch_pid, tally, server_cpu)
        async with trio.open_nursery() as drivers:
            for index, conn in enumerate(conns):
                drivers.start_soon(_drive, conn, index, requests, tally)
        nursery.cancel_scope.cancel()  # stopped early (max_requests): no window figure
    busy = time.perf_counter() - start
    seconds = max(min(tally.window_end, tally.last_done) - tally.window_start, 1e-9)
    return LoadResult(
        ok=tally.ok, errors=tally.errors, seconds=seconds, rate=tally.ok / seconds,
        p50_ms=percentile(tally.latencies_ms, 50), p99_ms=percentile(tally.latencies_ms, 99),
        client_cpu=(_cpu_seconds() - cpu0) / busy,
        server_cpu=server_cpu[0] if server_cpu else math.nan,
        statuses={str(k): v for k, v in sorted(tally.statuses.items())},
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_load(spec: LoadSpec, workdir: Path) -> LoadResult:
    timeout = spec.warmup_s + spec.duration_s + WORKER_SLACK_S
    data = await run_worker("_load", asdict(spec), workdir, timeout)
    return LoadResult(**data)


# --- the subscriber worker (_subs) ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SubsSpec:
    port: int
    workspace_id: str
    after_cursor: str
    subscribers: int
    messages: int
    nonce_prefix: str
    grace_s: float
    results_path: str


@dataclass(slots=True)
class _Deliveries:
    """Receive stamps per nonce, and completion tracking, for one subscriber process."""

    spec: SubsSpec
    seen: list[set[str]]
    times: dict[str, list[float]] = field(default_factory=dict)
    complete: int = 0
    target: int | None = None  # subscribers that connected
    duplicates: int = 0
    unexpected_closes: Counter[str] = field(default_factory=Counter)
    connect_errors: list[str] = field(default_factory=list)
    closing: bool = False
    all_done: trio.Event = field(default_factory=trio.Event)
    sockets: list[trio_websocket.WebSocketConnection] = field(default_factory=list)
    connect_s: float = 0.0
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def on_frame(self, index: int, received: float, text: str) -> None:
        data = json.loads(text)
        for event in data if isinstance(data, list) else [data]:
            if event.get("type") != "message.created":
                continue
            nonce = (event.get("payload") or {}).get("nonce", "")
            if not nonce.startswith(self.spec.nonce_prefix):
                continue
            if nonce in self.seen[index]:
                self.duplicates += 1
                continue
            self.seen[index].add(nonce)
            self.times.setdefault(nonce, []).append(received)
            if len(self.seen[index]) == self.spec.messages:
                self.complete += 1
                self._check_done()

    def set_target(self, connected: int) -> None:
        self.target = connected
        self._check_done()

    def _check_done(self) -> None:
        if self.target is not None and self.complete >= self.target:
            self.all_done.set()


async def _listen(ws: trio_websocket.WebSocketConnection, index: int, state: _Deliveries
                  ) -> None:
    try:
        while True:
            text = await ws.get_message()
            received = time.monotonic()  # stamp first, parse after
            state.on_frame(index, received, str(text))
    except trio_websocket.ConnectionClosed as exc:
        if not state.closing:
            code = exc.reason.code if exc.reason is not None else "none"
            state.unexpected_closes[str(code)] += 1


async def _connect_all(nursery: trio.Nursery, state: _Deliveries
                       ) -> list[trio_websocket.WebSocketConnection]:
    spec = state.spec
    resource_path = (f"/api/realtime/ws?workspace_id={spec.workspace_id}"
                     f"&after_cursor={spec.after_cursor}")
    sockets: list[trio_websocket.WebSocketConnection] = []

    async def connect_one(index: int) -> None:
        try:
            with trio.fail_after(WS_CONNECT_TIMEOUT_S):
                ws = await trio_websocket.connect_websocket(
                    nursery, HOST, spec.port, resource_path, use_ssl=False)
        except (OSError, trio_websocket.HandshakeError, trio.TooSlowError) as exc:
            state.connect_errors.append(repr(exc))
            return
        sockets.append(ws)
        nursery.start_soon(_listen, ws, index, state)

    for start in range(0, spec.subscribers, WS_BATCH):
        async with trio.open_nursery() as batch:
            for index in range(start, min(start + WS_BATCH, spec.subscribers)):
                batch.start_soon(connect_one, index)
    return sockets


async def _run_subscribers(spec: SubsSpec, state: _Deliveries) -> None:
    async with trio.open_nursery() as nursery:
        started = time.monotonic()
        sockets = await _connect_all(nursery, state)
        state.sockets = sockets
        connect_s = state.connect_s = time.monotonic() - started
        state.set_target(len(sockets))
        print(json.dumps({"connected": len(sockets), "connect_s": connect_s}), flush=True)
        cpu_start, wall_start = _cpu_seconds(), time.monotonic()
        await trio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True)
        with trio.move_on_after(spec.grace_s):
            await state.all_done.wait()
        state.cpu_s, state.wall_s = _cpu_seconds() - cpu_start, time.monotonic() - wall_start
        state.closing = True
        with trio.move_on_after(5.0):
            async with trio.open_nursery() as closer:
                for ws in sockets:
                    closer.start_soon(ws.aclose)
        nursery.cancel_scope.cancel()


async def subs_worker(spec: SubsSpec) -> None:
    """Connect, print a ready line, wait for "done" on stdin, wait (bounded) for every
    delivery, close the sockets, write the stamps to ``results_path``."""
    raise_nofile_limit(spec.subscribers + 256)
    state = _Deliveries(spec, [set() for _ in range(spec.subscribers)])
    try:
        await _run_subscribers(spec, state)
    except* LocalProtocolError:
        # trio-websocket 0.12.2 answers a server ping that crosses our close with a Pong in
        # LOCAL_CLOSING and its reader task raises; only tolerated once we are closing.
        if not state.closing:
            raise
    connect_s, cpu_s, wall_s, sockets = (state.connect_s, state.cpu_s, state.wall_s,
                                         state.sockets)
    await trio.Path(spec.results_path).write_text(json.dumps({
        "connected": len(sockets), "connect_s": connect_s, "times": state.times,
        "duplicates": state.duplicates, "unexpected_closes": dict(state.unexpected_closes),
        "connect_errors": state.connect_errors[:5], "failed_connects": len(state.connect_errors),
        "cpu_s": cpu_s, "wall_s": wall_s,
    }))


# --- phase (a): throughput -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ThroughputResult:
    synchronous: str
    echo: list[LoadResult]
    post: list[LoadResult]
    single: LoadResult | None

    @staticmethod
    def _median(runs: list[LoadResult], attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in runs))

    def echo_median(self, attr: str) -> float:
        return self._median(self.echo, attr)

    def post_median(self, attr: str) -> float:
        return self._median(self.post, attr)

    @property
    def ratio(self) -> float:
        return self.post_median("rate") / self.echo_median("rate")

    @property
    def errors(self) -> int:
        return sum(r.errors for r in [*self.echo, *self.post])


async def phase_throughput(plan: Plan, workdir: Path, pinning: Pinning, checks: ServerChecks,
                           *, synchronous: str = "FULL", rounds: int, single: bool
                           ) -> ThroughputResult:
    name = f"throughput-{synchronous.lower()}"
    async with running_server(workdir, name, pinning, checks,
                              synchronous=None if synchronous == "FULL" else synchronous
                              ) as server:
        async with api_client(server) as client:
            target = await general_channel(client)
            await smoke_check(client, target)

        def spec(path: str, connections: int, duration_s: float) -> LoadSpec:
            return LoadSpec(port=server.port, requests=[("POST", path, REQUEST_BODY)],
                            connections=connections, warmup_s=plan.warmup_s,
                            duration_s=duration_s, expect_status=201,
                            watch_pid=server.proc.pid)

        echo_path = "/api/_bench/echo"
        post_path = f"/api/channels/{target.channel_id}/messages"
        echo_runs: list[LoadResult] = []
        post_runs: list[LoadResult] = []
        for _ in range(rounds):
            echo_runs.append(await run_load(spec(echo_path, plan.connections, plan.round_s),
                                            workdir))
            post_runs.append(await run_load(spec(post_path, plan.connections, plan.round_s),
                                            workdir))
        single_run = None
        if single:
            single_run = await run_load(spec(echo_path, 1, plan.single_s), workdir)
    return ThroughputResult(synchronous, echo_runs, post_runs, single_run)


# --- phase (b): delivery latency -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FanoutResult:
    subscribers: int
    connected: int
    connect_s: float
    messages: int
    received: int
    missing: int
    duplicates: int
    unexpected_closes: dict[str, int]
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    before_ack_share: float  # deliveries that arrived before the poster saw the ack
    send_p50_ms: float
    send_p99_ms: float
    post_p50_ms: float  # the poster's own POST round trip while N sockets are open
    client_cpu: float  # the subscriber process's CPU share while messages were posted
    client_us_per_event: float  # its CPU time per delivered event
    connect_errors: list[str]


@dataclass(frozen=True, slots=True)
class PostStamp:
    sent: float
    acked: float


async def post_spaced(client: httpx.AsyncClient, channel_id: str, prefix: str, count: int,
                      spacing_s: float) -> dict[str, PostStamp]:
    """Post ``count`` messages with nonces ``prefix<i>``, one every ``spacing_s`` (rate
    control), stamping send and ack with CLOCK_MONOTONIC."""
    stamps: dict[str, PostStamp] = {}
    for i in range(count):
        nonce = f"{prefix}{i:05d}"
        sent = time.monotonic()
        resp = await client.post(f"/api/channels/{channel_id}/messages",
                                 json={"body": f"{MESSAGE_TEXT} #{i}", "nonce": nonce})
        acked = time.monotonic()
        if resp.status_code != 201:
            raise RuntimeError(f"post failed: {resp.status_code} {resp.text[:300]}")
        stamps[nonce] = PostStamp(sent, acked)
        await trio.sleep(spacing_s)
    return stamps


def summarize_fanout(n: int, m: int, ready: dict[str, Any], data: dict[str, Any],
                     stamps: dict[str, PostStamp]) -> FanoutResult:
    by_ack: list[float] = []
    by_send: list[float] = []
    for nonce, received in data["times"].items():
        stamp = stamps.get(nonce)
        if stamp is None:
            continue
        by_ack += [(t - stamp.acked) * 1000 for t in received]
        by_send += [(t - stamp.sent) * 1000 for t in received]
    post_ms = [(s.acked - s.sent) * 1000 for s in stamps.values()]
    return FanoutResult(
        subscribers=n, connected=int(data["connected"]), connect_s=float(ready["connect_s"]),
        messages=m, received=len(by_ack), missing=n * m - len(by_ack),
        duplicates=int(data["duplicates"]), unexpected_closes=data["unexpected_closes"],
        ack_p50_ms=percentile(by_ack, 50), ack_p99_ms=percentile(by_ack, 99),
        ack_max_ms=max(by_ack, default=math.nan),
        before_ack_share=sum(1 for x in by_ack if x < 0) / len(by_ack) if by_ack else math.nan,
        send_p50_ms=percentile(by_send, 50), send_p99_ms=percentile(by_send, 99),
        post_p50_ms=percentile(post_ms, 50),
        client_cpu=data["cpu_s"] / data["wall_s"],
        client_us_per_event=data["cpu_s"] / len(by_ack) * 1e6 if by_ack else math.nan,
        connect_errors=list(data["connect_errors"]),
    )


async def measure_fanout(plan: Plan, workdir: Path, server: Server, target: Target, n: int
                         ) -> FanoutResult:
    m = plan.fanout_messages
    prefix = f"fan{n}-{new_id('n')[-10:]}-"
    async with api_client(server) as client:
        spec = SubsSpec(
            port=server.port, workspace_id=target.workspace_id,
            after_cursor=await tail_cursor(client, target.workspace_id), subscribers=n,
            messages=m, nonce_prefix=prefix, grace_s=plan.fanout_grace_s,
            results_path=str(workdir / f"subs-{n}.json"),
        )
        spec_path = workdir / f"subs-{n}-spec.json"
        spec_path.write_text(json.dumps(asdict(spec)))
        with (workdir / f"subs-{n}.log").open("wb") as log:
            proc = await trio.lowlevel.open_process(
                [sys.executable, str(THIS), "_subs", str(spec_path)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        try:
            assert proc.stdout is not None
            assert proc.stdin is not None
            with trio.fail_after(WS_CONNECT_TIMEOUT_S + n / WS_BATCH * 5):
                ready = json.loads(await LineReader(proc.stdout).readline())
            stamps = await post_spaced(client, target.channel_id, prefix, m,
                                       plan.fanout_spacing_s)
            await proc.stdin.send_all(b"done\n")
            with trio.fail_after(plan.fanout_grace_s + WORKER_SLACK_S):
                await proc.wait()
            if proc.returncode != 0:
                raise RuntimeError(f"subscriber worker exited {proc.returncode}: "
                                   f"{log_tail(workdir / f'subs-{n}.log')}")
        finally:
            await stop_process(proc)
    data = json.loads(await trio.Path(spec.results_path).read_text())
    return summarize_fanout(n, m, ready, data, stamps)


async def phase_fanout(plan: Plan, workdir: Path, pinning: Pinning, checks: ServerChecks
                       ) -> list[FanoutResult]:
    raise_nofile_limit(max(plan.subscribers) + 1024)  # the server inherits it too
    results: list[FanoutResult] = []
    async with running_server(workdir, "fanout", pinning, checks) as server:
        async with api_client(server) as client:
            target = await general_channel(client)
        for n in plan.subscribers:
            results.append(await measure_fanout(plan, workdir, server, target, n))
    return results


# --- phase (c): history page ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SeedInfo:
    user_id: str
    channel_id: str
    messages: int
    seconds: float


@dataclass(frozen=True, slots=True)
class InProcess:
    page_p50_ms: float
    page_p99_ms: float
    encoded_p50_ms: float  # page() + msgspec JSON encoding, as the handler does
    encoded_p99_ms: float
    response_bytes: int


@dataclass(frozen=True, slots=True)
class HistoryResult:
    seed: SeedInfo
    latest: LoadResult
    before: LoadResult
    latest_inproc: InProcess
    before_inproc: InProcess


def dev_actor(user_id: str) -> Actor:
    """The caller as the server resolves a credential-less loopback request (dev bootstrap)."""
    return Actor(user_id=user_id, via="dev")


def _general_channel_id(tx: Tx, user_id: str) -> str:
    row = tx.one("SELECT c.id FROM channels c JOIN workspace_members m"
                 " ON m.workspace_id = c.workspace_id AND m.user_id = ?"
                 " WHERE c.name = 'general' ORDER BY c.created_at LIMIT 1", (user_id,))
    assert row is not None
    return str(row[0])


def _seed_chunk(tx: Tx, caller: Actor, channel_id: str, start: int, count: int) -> int:
    for i in range(start, start + count):
        store_messages.post_message(tx, caller, channel_id,
                                    f"seeded message {i}: {MESSAGE_TEXT[: 40 + i % 70]}")
    return count


async def seed_history(db_path: Path, count: int) -> SeedInfo:
    """Create the dev-bootstrap database, as ``serve --dev-bootstrap`` does at start-up, and
    post ``count`` messages to #general through the server's own ``post_message``, in write
    transactions of SEED_CHUNK."""
    started = time.perf_counter()
    async with open_store(db_path, lambda events: None, on_start=ensure_bootstrap) as store:
        user_id = await store.ensure_bootstrap()  # already done by on_start: returns the id
        channel_id = await store.write(_general_channel_id, user_id)
        caller = dev_actor(user_id)
        for start in range(0, count, SEED_CHUNK):
            await store.write(_seed_chunk, caller, channel_id, start,
                              min(SEED_CHUNK, count - start))
    return SeedInfo(user_id, channel_id, count, time.perf_counter() - started)


def check_seed(db_path: Path, seed: SeedInfo) -> None:
    """The seeded file must look like N posts: rows, events, last_seq.  (A root's thread_state
    row is created with its first reply.)"""
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        def one(sql: str) -> int:
            return int(conn.execute(sql, (seed.channel_id,)).fetchone()[0])

        found = {
            "messages": one("SELECT COUNT(*) FROM messages WHERE channel_id = ?"),
            "max channel_seq": one("SELECT MAX(channel_seq) FROM messages WHERE channel_id = ?"),
            "channels.last_seq": one("SELECT last_seq FROM channels WHERE id = ?"),
            "message.created events": one("SELECT COUNT(*) FROM events WHERE channel_id = ?"
                                          " AND type = 'message.created'"),
        }
    finally:
        conn.close()
    wrong = {k: v for k, v in found.items() if v != seed.messages}
    if wrong:
        raise RuntimeError(f"seeded database is inconsistent (want {seed.messages}): {wrong}")


def random_depths(total: int, count: int) -> list[int]:
    rng = random.Random(RANDOM_SEED)
    return [rng.randint(PAGE_LIMIT + 1, total) for _ in range(count)]


def time_in_process(db_path: Path, seed: SeedInfo, queries: list[PageQuery], budget_s: float
                    ) -> InProcess:
    """Time ``messages.page`` and ``page`` + JSON encoding on a read-only connection."""
    conn = open_read(db_path)
    encoder = msgspec.json.Encoder()
    plain: list[float] = []
    encoded: list[float] = []
    size = 0
    caller = dev_actor(seed.user_id)
    deadline = time.perf_counter() + budget_s
    try:
        for query in queries:
            if time.perf_counter() > deadline:
                break
            t0 = time.perf_counter()
            page = store_messages.page(conn, caller, seed.channel_id, query)
            t1 = time.perf_counter()
            size = len(encoder.encode(page))
            t2 = time.perf_counter()
            plain.append((t1 - t0) * 1000)
            encoded.append((t2 - t0) * 1000)
    finally:
        conn.close()
    return InProcess(percentile(plain, 50), percentile(plain, 99), percentile(encoded, 50),
                     percentile(encoded, 99), size)


async def verify_latest_page(client: httpx.AsyncClient, seed: SeedInfo) -> None:
    resp = await client.get(f"/api/channels/{seed.channel_id}/messages",
                            params={"limit": str(PAGE_LIMIT)})
    resp.raise_for_status()
    page = resp.json()
    if (len(page["messages"]) != PAGE_LIMIT or page["newest_seq"] != seed.messages
            or not page["has_older"]):
        raise RuntimeError(f"unexpected latest page: {len(page['messages'])} messages, "
                           f"newest_seq {page['newest_seq']}, has_older {page['has_older']}")


async def phase_history(plan: Plan, workdir: Path, pinning: Pinning, checks: ServerChecks
                        ) -> HistoryResult:
    data_dir = workdir / "data-history"
    db_path = data_dir / "clickclack.db"
    data_dir.mkdir(parents=True)
    seed = await seed_history(db_path, plan.seed_messages)
    check_seed(db_path, seed)
    depths = random_depths(seed.messages, plan.history_requests)
    base = f"/api/channels/{seed.channel_id}/messages?limit={PAGE_LIMIT}"
    async with running_server(workdir, "history", pinning, checks, data_dir=data_dir) as server:
        async with api_client(server) as client:
            await verify_latest_page(client, seed)

        def spec(paths: list[str]) -> LoadSpec:
            return LoadSpec(port=server.port, requests=[("GET", p, None) for p in paths],
                            connections=1, warmup_s=min(plan.warmup_s, 1.0),
                            duration_s=plan.history_cap_s, expect_status=200,
                            max_requests=plan.history_requests)

        latest = await run_load(spec([base]), workdir)
        before = await run_load(spec([f"{base}&before_seq={d}" for d in depths]), workdir)
    budget = plan.history_cap_s / 2
    latest_q = [PageQuery("latest", 0, PAGE_LIMIT)] * plan.history_requests
    before_q = [PageQuery("before", d, PAGE_LIMIT) for d in depths]
    return HistoryResult(seed, latest, before, time_in_process(db_path, seed, latest_q, budget),
                         time_in_process(db_path, seed, before_q, budget))


# --- the report ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    measured: str
    target: str = ""
    verdict: str = ""  # PASS, MISS, ERROR or "" (for information)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def throughput_rows(a: ThroughputResult, *, comparison: bool = False) -> list[Row]:
    if comparison:
        return [Row(f"(a) post/echo, synchronous=NORMAL (comparison; {len(a.post)} round)",
                    f"{a.ratio:.2f} ({fmt_rate(a.post_median('rate'))} / "
                    f"{fmt_rate(a.echo_median('rate'))})")]
    rows = [
        Row("(a) echo ceiling, req/s (median of rounds)", fmt_rate(a.echo_median("rate"))),
        Row("(a) message posts, req/s (median of rounds)", fmt_rate(a.post_median("rate"))),
        Row("(a) post/echo ratio", f"{a.ratio:.2f}", f">= {TARGET_RATIO:.2f}",
            verdict(a.ratio >= TARGET_RATIO)),
        Row("(a) echo latency p50 / p99", f"{fmt_ms(a.echo_median('p50_ms'))} / "
            f"{fmt_ms(a.echo_median('p99_ms'))}"),
        Row("(a) post latency p50 / p99", f"{fmt_ms(a.post_median('p50_ms'))} / "
            f"{fmt_ms(a.post_median('p99_ms'))}"),
    ]
    if a.single is not None:
        rows.append(Row("(a) echo, 1 connection: p50 (pure HTTP cost)",
                        f"{fmt_ms(a.single.p50_ms)} (p99 {fmt_ms(a.single.p99_ms)})"))
    if a.errors:
        rows.append(Row("(a) failed requests", str(a.errors), "0", "MISS"))
    return rows


def fanout_rows(results: list[FanoutResult]) -> list[Row]:
    rows: list[Row] = []
    for f in results:
        graded = f.subscribers == TARGET_DELIVERY_AT
        rows.append(Row(
            f"(b) delivery after ack, {f.subscribers:,} subscribers: p50 / p99",
            f"{fmt_ms(f.ack_p50_ms)} / {fmt_ms(f.ack_p99_ms)}",
            f"p99 < {TARGET_DELIVERY_P99_MS:.0f} ms" if graded else "",
            verdict(f.ack_p99_ms < TARGET_DELIVERY_P99_MS) if graded else "",
        ))
        rows.append(Row(f"(b) delivery after send, {f.subscribers:,} subscribers: p50 / p99",
                        f"{fmt_ms(f.send_p50_ms)} / {fmt_ms(f.send_p99_ms)}"))
        rows.append(Row(f"(b) missing deliveries, {f.subscribers:,} subscribers",
                        f"{f.missing} of {f.subscribers * f.messages:,}", "0",
                        verdict(f.missing == 0)))
    return rows


def history_rows(h: HistoryResult) -> list[Row]:
    graded = h.seed.messages >= TARGET_PAGE_AT
    target = f"p50 < {TARGET_PAGE_P50_MS:.0f} ms" if graded else ""
    stored = f"{h.seed.messages:,} stored"
    rows: list[Row] = []
    for kind, run, inproc in (("latest", h.latest, h.latest_inproc),
                              ("before_seq (random depth)", h.before, h.before_inproc)):
        rows.append(Row(f"(c) {kind} page of {PAGE_LIMIT}, HTTP, {stored}: p50 / p99",
                        f"{fmt_ms(run.p50_ms)} / {fmt_ms(run.p99_ms)}", target,
                        verdict(run.p50_ms < TARGET_PAGE_P50_MS) if graded else ""))
        rows.append(Row(f"(c) {kind} page, in-process page() / + JSON encode: p50",
                        f"{fmt_ms(inproc.page_p50_ms)} / {fmt_ms(inproc.encoded_p50_ms)}"))
        if run.errors:
            rows.append(Row(f"(c) {kind} page: failed requests", str(run.errors), "0", "MISS"))
    return rows


@dataclass(slots=True)
class Report:
    plan: Plan
    pinning: Pinning
    started: dt.datetime
    load_before: str
    load_after: str = ""
    seconds: float = 0.0
    throughput: ThroughputResult | None = None
    normal: ThroughputResult | None = None
    fanout: list[FanoutResult] | None = None
    history: HistoryResult | None = None
    failures: list[str] = field(default_factory=list)
    checks: ServerChecks = field(default_factory=ServerChecks)

    def rows(self) -> list[Row]:
        rows: list[Row] = []
        if self.throughput is not None:
            rows += throughput_rows(self.throughput)
        if self.normal is not None:
            rows += throughput_rows(self.normal, comparison=True)
        if self.fanout is not None:
            rows += fanout_rows(self.fanout)
        if self.history is not None:
            rows += history_rows(self.history)
        rows += [Row(f"phase failed: {f.splitlines()[0][:150]}", "", "", "ERROR")
                 for f in self.failures]
        rows += [Row(f"server {name} exit code", str(code), "0", "MISS")
                 for name, code in self.checks.bad_exits()]
        if self.checks.log_problems:
            rows.append(Row("server log error lines", str(len(self.checks.log_problems)), "0",
                            "MISS"))
        return rows


def text_table(rows: list[Row]) -> str:
    header = Row("figure", "measured", "target", "result")
    widths = [max(len(getattr(r, col)) for r in [header, *rows])
              for col in ("figure", "measured", "target", "verdict")]

    def line(r: Row) -> str:
        cells = (r.figure, r.measured, r.target, r.verdict)
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def markdown_table(rows: list[Row]) -> str:
    out = ["| Figure | Measured | Target | Result |", "|---|---|---|---|"]
    out += [f"| {r.figure} | {r.measured} | {r.target or '-'} | {r.verdict or 'info'} |"
            for r in rows]
    return "\n".join(out)


def machine_lines(report: Report) -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"- CPUs: {os.cpu_count()} (nproc), model: {model}",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"- Load average (1/5/15 min): {report.load_before} before, {report.load_after} after",
        f"- Pinning: {report.pinning.describe()}",
        f"- Code: {code_version()}",
    ]


def code_version() -> str:
    """The commit of the clickclack package being measured, and whether its tree is clean."""
    tree = Path(clickclack.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tree), *args], check=True, capture_output=True,
                              text=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "clickclack", "schema")
    except (OSError, subprocess.SubprocessError):
        return f"clickclack from {tree} (not a git checkout)"
    state = "with uncommitted changes in clickclack/ or schema/" if dirty else "clean"
    return f"git {commit}, {state}"


def round_details(report: Report) -> list[str]:
    lines: list[str] = []
    for a in (report.throughput, report.normal):
        if a is None:
            continue
        for label, runs in (("echo", a.echo), ("post", a.post)):
            rates = ", ".join(fmt_rate(r.rate) for r in runs)
            server = ", ".join(f"{r.server_cpu:.0%}" for r in runs)
            client = ", ".join(f"{r.client_cpu:.0%}" for r in runs)
            lines.append(f"- synchronous={a.synchronous}, {label} rounds: {rates}; server CPU "
                         f"{server}, load generator CPU {client} (of one core)")
        pairs = ", ".join(f"{p.rate / e.rate:.2f}" for e, p in zip(a.echo, a.post, strict=True))
        lines.append(f"- synchronous={a.synchronous}, post/echo of each round pair: {pairs}")
    for f in report.fanout or []:
        closes = ", ".join(f"{k}: {v}" for k, v in f.unexpected_closes.items()) or "none"
        lines.append(
            f"- {f.subscribers:,} subscribers: {f.connected:,} connected in {f.connect_s:.2f} s;"
            f" {f.received:,} deliveries; {f.before_ack_share:.0%} arrived before the poster "
            f"read its ack; max after ack {fmt_ms(f.ack_max_ms)}; poster's POST p50 "
            f"{fmt_ms(f.post_p50_ms)}; subscriber process CPU {f.client_cpu:.0%} of one core "
            f"({f.client_us_per_event:.0f} us per delivered event); duplicates {f.duplicates}; "
            f"unexpected closes {closes}")
    lines += [f"- server {name} logged: `{line}`" for name, line in report.checks.log_problems]
    h = report.history
    if h is not None:
        lines.append(f"- Seeded {h.seed.messages:,} messages in {h.seed.seconds:.1f} s "
                     f"through clickclack.store.messages.post_message.")
        lines.append(f"- History: {h.latest.ok:,} latest and {h.before.ok:,} before_seq "
                     f"requests; in-process p99: latest {fmt_ms(h.latest_inproc.page_p99_ms)}, "
                     f"before {fmt_ms(h.before_inproc.page_p99_ms)}; encoded page "
                     f"{h.latest_inproc.response_bytes:,} bytes.")
    return lines


def method_lines(plan: Plan) -> list[str]:
    n = " and ".join(f"{x:,}" for x in plan.subscribers)
    return [
        f"- **(a) Throughput.** One server (`synchronous=FULL`). A separate load process keeps "
        f"{plan.connections} keep-alive HTTP/1.1 connections busy (a minimal trio client with "
        f"pre-encoded requests, so the client costs far less CPU than the server). Each round: "
        f"{plan.warmup_s:g} s warm-up, then {plan.round_s:g} s measured. Rounds alternate "
        f"`POST /api/_bench/echo` (same JSON body, no database: the ceiling) and "
        f"`POST /api/channels/{{id}}/messages`, {plan.rounds} of each; figures are medians over "
        f"rounds, latency is request written to response read. The 1-connection echo run "
        f"({plan.single_s:g} s) is the pure HTTP cost of one request. A second server with "
        f"`--synchronous NORMAL` gets {plan.normal_rounds} echo + post round for comparison.",
        f"- **(b) Delivery latency.** {n} trio-websocket subscribers in a separate process, "
        f"connected {WS_BATCH} handshakes at a time with `after_cursor` = the current tail. "
        f"The poster sends {plan.fanout_messages} messages with unique nonces, one every "
        f"{plan.fanout_spacing_s * 1000:.0f} ms after the previous ack, and stamps "
        f"CLOCK_MONOTONIC at send and at ack; subscribers stamp it when a frame arrives "
        f"(frames hold one event or an array). Latency = receive - ack over every "
        f"(message, subscriber) pair, matched by `payload.nonce`. Missing = N x messages - "
        f"pairs received. Reading it: the writer hands a commit's events to the hub *before* "
        f"it wakes the POST handler, so on the server's single event-loop thread the ack "
        f"competes with the fan-out. With many subscribers a large share of deliveries arrive "
        f"before the ack (negative values) and the ack itself is late (the poster's POST p50 "
        f"in the details), which flatters receive - ack. Receive - send (POST written to frame "
        f"received, including the commit) is the end-to-end figure a sender experiences. The "
        f"subscriber process's CPU per delivered event bounds what the client itself adds: "
        f"the last of N subscribers waits for up to N such slices.",
        f"- **(c) History page.** {plan.seed_messages:,} messages seeded into #general through "
        f"the server's own `post_message` (dev-bootstrap database, {SEED_CHUNK:,} per write "
        f"transaction; row counts and `channels.last_seq` checked). The server is restarted on "
        f"that file; one connection fetches `?limit={PAGE_LIMIT}` (latest page) and then "
        f"`before_seq` pages at random depths, {plan.history_requests:,} requests each, "
        f"sequentially. **The target is compared against the client-observed HTTP p50.** "
        f"In-process rows time `clickclack.store.messages.page` (query + row building) on a "
        f"read-only `open_read` connection, and page + msgspec JSON encoding; the difference "
        f"to the HTTP figure is the HTTP stack (compare the 1-connection echo p50 in (a)).",
    ]


def render_markdown(report: Report) -> str:
    rows = report.rows()
    title = "# Benchmarks" + (" (quick smoke run: not comparable)" if report.plan.quick else "")
    parts = [
        title, "",
        f"Measured {report.started:%Y-%m-%d %H:%M} UTC in {report.seconds:.0f} s with "
        f"`./scripts/bench{' --quick' if report.plan.quick else ''}`.", "",
        "## Machine", "", *machine_lines(report), "",
        "## How to read these", "",
        "The machine is shared with other jobs and has 2 cores, so absolute figures move from "
        "run to run. Compare figures **within one run**: the post/echo ratio puts the whole "
        "message path against the bare HTTP stack on the same server at the same moment, and "
        "the HTTP history latency sits next to the in-process query cost and the 1-connection "
        "echo latency. Latencies are client-observed unless the row says in-process. "
        "\"info\" rows have no target. The details list the server's CPU share (all threads, "
        "over each measured window): an echo round well below 100 % of one core means another "
        "tenant took the server's CPU during that round, so treat that round as noise.", "",
        "## Results", "", markdown_table(rows), "",
        "Details:", "", *round_details(report), "",
        "## Method", "", *method_lines(report.plan), "",
        "Servers are `clickclack serve --data <fresh tmp dir> --addr 127.0.0.1:<free port> "
        "--dev-bootstrap --bench-echo --access-log off` (plus `--synchronous NORMAL` for the "
        "comparison), ready when `/healthz` answers, stopped with SIGTERM (each must exit 0). "
        "The method is also in the docstring of `scripts/bench.py`.", "",
    ]
    return "\n".join(parts)


# --- orchestration -------------------------------------------------------------------------------

async def guarded(report: Report, name: str, budget_s: float,
                  fn: Callable[[], Awaitable[T]]) -> T | None:
    """Run one phase under a time limit; a failure is recorded and the next phase runs."""
    print(f"bench: {name} (limit {budget_s:.0f} s) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        with trio.fail_after(budget_s):
            result = await fn()
    except Exception as exc:  # noqa: BLE001 - report it, keep benchmarking
        report.failures.append(f"{name}: {exc!r}")
        print(f"bench: {name} FAILED: {exc!r}", file=sys.stderr, flush=True)
        return None
    print(f"bench: {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr,
          flush=True)
    return result


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


async def run_bench(plan: Plan, pinning: Pinning) -> Report:
    report = Report(plan, pinning, dt.datetime.now(dt.UTC), load_average())
    started = time.perf_counter()
    budgets = plan.budgets_s
    checks = report.checks
    with tempfile.TemporaryDirectory(prefix="clickclack-bench-") as tmp:
        workdir = Path(tmp)
        report.throughput = await guarded(
            report, "(a) throughput, synchronous=FULL", budgets["throughput"],
            lambda: phase_throughput(plan, workdir, pinning, checks, rounds=plan.rounds,
                                     single=True))
        report.normal = await guarded(
            report, "(a) comparison, synchronous=NORMAL", budgets["normal"],
            lambda: phase_throughput(plan, workdir, pinning, checks, synchronous="NORMAL",
                                     rounds=plan.normal_rounds, single=False))
        report.fanout = await guarded(report, "(b) delivery latency", budgets["fanout"],
                                      lambda: phase_fanout(plan, workdir, pinning, checks))
        report.history = await guarded(report, "(c) history page", budgets["history"],
                                       lambda: phase_history(plan, workdir, pinning, checks))
    report.seconds = time.perf_counter() - started
    report.load_after = load_average()
    return report


async def run_until_sigterm(plan: Plan, pinning: Pinning) -> Report | None:
    """:func:`run_bench`, cancelled by SIGTERM (None then), so that every ``finally`` still
    stops its servers and workers.  Ctrl+C already does this through KeyboardInterrupt."""
    report: Report | None = None
    with trio.open_signal_receiver(signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                async for _ in signals:
                    nursery.cancel_scope.cancel()
                    return

            nursery.start_soon(watch)
            report = await run_bench(plan, pinning)
            nursery.cancel_scope.cancel()
    return report


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description="Benchmark ClickClack (see the module docstring).")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: short rounds, 20/100 subscribers, 10,000 messages; "
                             "writes only to --out (or stdout), never docs/benchmarks.md")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"markdown report path (default {DEFAULT_OUT.relative_to(ROOT)})")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] in WORKERS:
        WORKERS[argv[0]](Path(argv[1]))
        return 0
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    out: Path | None = args.out if args.out is not None or args.quick else DEFAULT_OUT
    if not CLICKCLACK.exists():
        print(f"bench: {CLICKCLACK} not found; run ./scripts/install dev", file=sys.stderr)
        return 1
    pinning = choose_pinning()
    report = trio.run(run_until_sigterm, plan, pinning)
    if report is None:
        print("bench: terminated by SIGTERM; no report written", file=sys.stderr)
        return 128 + signal.SIGTERM
    print(text_table(report.rows()))
    markdown = render_markdown(report)
    if out is None:
        print()
        print(markdown)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown + _kept_sections(out))
        print(f"\nreport written to {out}")
    return 1 if report.failures or report.checks.bad_exits() else 0


def _kept_sections(out: Path) -> str:
    """Sections other benchmarks own (``<!-- name:start -->`` ... ``<!-- name:end -->``, e.g. the
    search figures from ./scripts/bench-search) survive a rewrite of the file."""
    if not out.exists():
        return ""
    blocks = re.finditer(r"<!-- (\w+):start -->.*?<!-- \1:end -->", out.read_text(), re.S)
    return "".join("\n" + m.group(0) + "\n" for m in blocks)


def _load_entry(spec_path: Path) -> None:
    spec = LoadSpec.from_json(json.loads(spec_path.read_text()))
    result = trio.run(load_worker, spec)
    print(json.dumps(asdict(result)))


def _subs_entry(spec_path: Path) -> None:
    spec = SubsSpec(**json.loads(spec_path.read_text()))
    trio.run(subs_worker, spec)


WORKERS: dict[str, Callable[[Path], None]] = {"_load": _load_entry, "_subs": _subs_entry}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
