"""Soak and capacity ramp, by hand (issue 9; reliability.md §8 B1, B2): ``./scripts/soak``.

Starts ``clickclack serve`` (dev bootstrap, a fresh data directory, pinned to CPU 0 when
``taskset`` exists), opens N websocket clients in this process (pinned to CPU 1) and posts
messages at R per second spread over C channels.  Every 5 s it samples the server's RSS, open
fds and CPU share plus posts, deliveries and latencies into a CSV, and at the end draws them
into a PNG (``--plot``) and, with ``--docs``, writes its section of docs/benchmarks.md.

Soak pass criteria (reliability.md §8 B1):

* 0 5xx, 0 missing deliveries; post p99 < 250 ms, delivery p99 < 1 s;
* after the warm-up (2 min, or a third of a shorter run): RSS slope < 0.5 MB/min and final
  RSS <= 1.10 x the post-warm-up RSS; open fds flat (final <= post-warm-up + 16).

``--ramp`` instead starts at 8 msg/s and adds 8 msg/s every 30 s (2 s rest between steps)
until the first of Mattermost's degradation thresholds trips (reliability.md §0.11: 5xx >
0.025 %, mean request > 0.1 s, p99 > 2 s, client timeouts > 0.025 %, server CPU > 85 %,
memory > 85 %; and ours: any missing delivery) and reports the last rate that held: the
capacity.

The subscribers use a minimal websocket client (handshake, frame cutting, pong) because a full
client library costs more CPU per delivered event than the server does, which would make the
load generator, not the server, the bottleneck at 20,000 deliveries/s.

    ./scripts/soak --docs                       # 10 min, 1,000 clients, 20 msg/s
    ./scripts/soak --minutes 2 --clients 200    # the short variant
    ./scripts/soak --ramp --docs                # capacity ramp, 1,000 clients
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import trio
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SAMPLE_S = 5
NONCE = re.compile(rb'"nonce":"(soak-\d+)"')
STEP_S, REST_S, STEP_RATE = 30, 2, 8  # Mattermost's coordinator: +8 per step, 2 s rest
THRESHOLDS = "5xx > 0.025 %, mean > 0.1 s, p99 > 2 s, timeouts > 0.025 %, CPU > 85 %, memory > 85 %"


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Sample:
    t: float
    rate: float
    rss_mb: float
    fds: int
    cpu: float  # server process, % of one core over the last interval
    posts: int
    deliveries: int
    post_p99_ms: float
    delivery_p99_ms: float
    errors_5xx: int


@dataclass
class Step:
    rate: float
    posts: int
    mean_ms: float
    p99_ms: float
    cpu: float
    mem: float
    deliveries_per_s: float
    missing: int
    errors_5xx: int
    timeouts: int
    tripped: str = ""


@dataclass
class Soak:
    url: str
    pid: int
    clients: int
    rate: float
    sending: dict[bytes, float] = field(default_factory=dict)  # nonce -> POST sent
    acked: set[str] = field(default_factory=set)
    post_lat: list[float] = field(default_factory=list)
    deliv_lat: array[float] = field(default_factory=lambda: array("d"))
    window_post: list[float] = field(default_factory=list)
    received: int = 0
    requests: int = 0
    errors_5xx: int = 0
    timeouts: int = 0
    other_fail: int = 0
    unexpected_closes: int = 0
    samples: list[Sample] = field(default_factory=list)
    stop: trio.Event = field(default_factory=trio.Event)
    connected: int = 0
    all_connected: trio.Event = field(default_factory=trio.Event)
    target: int = 0  # deliveries awaited by drain()
    delivered: trio.Event = field(default_factory=trio.Event)

    async def drain(self, seconds: float) -> None:
        """Wait (at most ``seconds``) until every subscriber has every acknowledged post."""
        self.target = len(self.acked) * self.clients
        self.delivered = trio.Event()
        if self.received >= self.target:
            return
        with trio.move_on_after(seconds):
            await self.delivered.wait()

    async def client(self, host: str, port: int, path: str, ready: trio.Semaphore) -> None:
        """One subscriber on a minimal websocket client: the handshake, then frames are only
        cut out of the byte stream and searched for nonces.  A full client library costs ~90 us
        of CPU per delivered event (docs/benchmarks.md), so 1,000 of them at 20 msg/s would
        measure the load generator, not the server."""
        async with ready:
            stream = await trio.open_tcp_stream(host, port)
            key = base64.b64encode(os.urandom(16)).decode()
            await stream.send_all(
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    raise ConnectionError("closed during the websocket handshake")
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            if not head.startswith(b"HTTP/1.1 101"):
                raise ConnectionError(head.decode(errors="replace"))
        self.connected += 1
        if self.connected == self.clients:
            self.all_connected.set()
        try:
            while True:
                chunk = await stream.receive_some(262144)
                if not chunk:
                    raise ConnectionError("closed")
                now = time.monotonic()
                buf += chunk
                pos = 0
                while len(buf) - pos >= 2:
                    opcode, length, off = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, pos + 2
                    if length == 126:
                        if len(buf) - pos < 4:
                            break
                        length, off = int.from_bytes(buf[pos + 2:pos + 4], "big"), pos + 4
                    elif length == 127:
                        if len(buf) - pos < 10:
                            break
                        length, off = int.from_bytes(buf[pos + 2:pos + 10], "big"), pos + 10
                    if len(buf) - off < length:
                        break
                    payload, pos = buf[off:off + length], off + length
                    if opcode == 0x9:  # ping -> pong (client frames are masked; zero mask)
                        await stream.send_all(bytes([0x8A, 0x80 | len(payload)]) + b"\0" * 4
                                              + payload)
                    elif opcode == 0x8:
                        raise ConnectionError(f"close frame {payload[:2].hex()}")
                    else:
                        for nonce in NONCE.findall(payload):
                            sent = self.sending.get(nonce)
                            if sent is not None:
                                self.received += 1
                                self.deliv_lat.append(now - sent)
                                if self.received >= self.target > 0:
                                    self.delivered.set()
                buf = buf[pos:]
        except (ConnectionError, trio.BrokenResourceError, trio.ClosedResourceError):
            if not self.stop.is_set():
                self.unexpected_closes += 1
        finally:
            with trio.CancelScope(shield=True):
                await stream.aclose()

    async def post(self, http: httpx.AsyncClient, channel: str, nonce: str) -> None:
        t0 = self.sending[nonce.encode()] = time.monotonic()
        self.requests += 1
        try:
            r = await http.post(f"/api/channels/{channel}/messages",
                                json={"body": nonce, "nonce": nonce})
        except httpx.TimeoutException:
            self.timeouts += 1
            return
        except httpx.HTTPError:
            self.other_fail += 1
            return
        t1 = time.monotonic()
        if r.status_code >= 500:
            self.errors_5xx += 1
        elif r.status_code == 201:
            self.acked.add(nonce)
            self.post_lat.append(t1 - t0)
            self.window_post.append(t1 - t0)
        else:
            self.other_fail += 1

    async def poster(self, http: httpx.AsyncClient, channels: list[str], seconds: float,
                     first: int) -> int:
        deadline = time.monotonic() + seconds
        i = first
        async with trio.open_nursery() as n:
            next_at = time.monotonic()
            while time.monotonic() < deadline:
                n.start_soon(self.post, http, channels[i % len(channels)], f"soak-{i}")
                i += 1
                next_at += 1 / self.rate
                await trio.sleep(max(0.0, next_at - time.monotonic()))
        return i

    async def sampler(self, out: Path) -> None:
        proc = psutil.Process(self.pid)
        proc.cpu_percent(None)
        started = time.monotonic()
        with out.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["t_s", "rate", "rss_mb", "fds", "cpu_pct", "posts", "deliveries",
                        "post_p99_ms", "delivery_p99_ms", "5xx"])
            while not self.stop.is_set():
                await trio.sleep(SAMPLE_S)
                s = Sample(time.monotonic() - started, self.rate,
                           proc.memory_info().rss / 2**20, proc.num_fds(),
                           proc.cpu_percent(None), len(self.acked), self.received,
                           pct(self.window_post, 0.99) * 1000,
                           pct(self.deliv_lat[-20000:], 0.99) * 1000, self.errors_5xx)
                self.samples.append(s)
                w.writerow([f"{s.t:.0f}", f"{s.rate:.0f}", f"{s.rss_mb:.1f}", s.fds,
                            f"{s.cpu:.0f}", s.posts, s.deliveries, f"{s.post_p99_ms:.1f}",
                            f"{s.delivery_p99_ms:.1f}", s.errors_5xx])
                f.flush()
                self.window_post = []


# --- the plot (Pillow, already a runtime dependency; no plotting library) -----------------------

def plot(samples: list[Sample], out: Path, title: str, warm_s: float | None) -> None:
    """Stacked panels sharing the time axis: RSS, open fds, server CPU, post/delivery p99 (and
    the offered rate when it changes).  Each panel is scaled to its own range from 0."""
    panels: list[tuple[str, list[tuple[str, list[float], tuple[int, int, int]]]]] = [
        ("server RSS (MB)", [("rss", [s.rss_mb for s in samples], (37, 99, 235))]),
        ("open fds", [("fds", [float(s.fds) for s in samples], (22, 163, 74))]),
        ("server CPU (% of one core)", [("cpu", [s.cpu for s in samples], (217, 119, 6))]),
        ("p99 latency (ms): post, delivery",
         [("post", [s.post_p99_ms for s in samples], (220, 38, 38)),
          ("delivery", [s.delivery_p99_ms for s in samples], (124, 58, 237))]),
    ]
    if len({s.rate for s in samples}) > 1:
        panels.append(("offered rate (msg/s)", [("rate", [s.rate for s in samples],
                                                 (71, 85, 105))]))
    width, panel_h, left, right, top = 960, 150, 70, 20, 36
    height = top + len(panels) * (panel_h + 28) + 30
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    d.text((left, 10), title, fill="black", font=font)
    ts = [s.t for s in samples] or [0.0]
    t_max = max(ts[-1], 1.0)
    for k, (label, series) in enumerate(panels):
        y0 = top + k * (panel_h + 28) + 16
        y1 = y0 + panel_h
        d.text((left, y0 - 14), label, fill="black", font=font)
        d.rectangle((left, y0, width - right, y1), outline=(160, 160, 160))
        v_max = max([max(vals) for _, vals, _ in series if vals] + [1e-9]) * 1.1
        d.text((4, y0), f"{v_max:.0f}" if v_max >= 10 else f"{v_max:.1f}", fill="gray",
               font=font)
        d.text((4, y1 - 10), "0", fill="gray", font=font)
        if warm_s is not None and warm_s < t_max:
            x = left + (width - right - left) * warm_s / t_max
            d.line((x, y0, x, y1), fill=(200, 200, 200))
        for _, vals, colour in series:
            pts = [(left + (width - right - left) * t / t_max, y1 - panel_h * v / v_max)
                   for t, v in zip(ts, vals, strict=False)]
            if len(pts) > 1:
                d.line(pts, fill=colour, width=2)
        if len(series) > 1:
            for j, (name, _, colour) in enumerate(series):
                d.text((width - right - 140 + 70 * j, y0 + 4), name, fill=colour, font=font)
    d.text((left, height - 22), f"time (s), 0 .. {t_max:.0f}; grey line: end of warm-up",
           fill="black", font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, optimize=True)


def write_section(path: Path, name: str, body: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body.rstrip()}\n{end}\n"
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def code_version() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:  # fixed arguments, no user input
        rev = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S603
                             check=True, capture_output=True, text=True).stdout.strip()
        code = ["--", "clickclack", "schema", "scripts"]
        dirty = subprocess.run([git, "status", "--porcelain", *code], cwd=ROOT,  # noqa: S603
                               check=True, capture_output=True, text=True).stdout.strip()
        return f"git {rev}{', uncommitted code changes' if dirty else ', clean code tree'}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_line(started: dt.datetime, elapsed: float, load0: str, cmd: str) -> str:
    return (f"Measured {started:%Y-%m-%d %H:%M} UTC in {elapsed:.0f} s with `{cmd}` on "
            f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python "
            f"{platform.python_version()}; load average {load0} before, "
            f"{load_average()} after; {code_version()}.  Server pinned to CPU 0, clients and "
            "poster (one process) to CPU 1.")


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# --- running ------------------------------------------------------------------------------------

async def start_server(data: Path) -> tuple[trio.Process, str, object]:
    pin: list[str] = []
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        pin = ["taskset", "-c", "0"]  # the server on CPU 0, the load (this process) on CPU 1
        os.sched_setaffinity(0, {1})
    cmd = [*pin, sys.executable, "-m", "clickclack", "serve", "--data", str(data / "data"),
           "--addr", "127.0.0.1:0", "--dev-bootstrap", "--access-log", "off",
           "--rate-messages", "off"]
    log = (data / "server.log").open("wb")
    server = await trio.lowlevel.open_process(cmd, stdout=log, stderr=subprocess.STDOUT,
                                              cwd=ROOT)
    with trio.move_on_after(30):
        while True:
            m = re.search(rb"serving on (http://[\d.]+:\d+)", (data / "server.log").read_bytes())
            if m:
                return server, m.group(1).decode(), log
            if server.poll() is not None:
                break
            await trio.sleep(0.2)
    print((data / "server.log").read_text(), file=sys.stderr)
    server.kill()
    raise SystemExit("the server did not start")


async def ramp(soak: Soak, http: httpx.AsyncClient, channels: list[str],
               args: argparse.Namespace) -> list[Step]:
    steps: list[Step] = []
    proc = psutil.Process(soak.pid)
    i = 0
    while True:
        before = (soak.errors_5xx, soak.timeouts, soak.requests, soak.received)
        soak.post_lat, acked_before = [], len(soak.acked)
        proc.cpu_percent(None)
        t0 = time.monotonic()
        i = await soak.poster(http, channels, STEP_S, i)
        cpu = proc.cpu_percent(None)  # over the step and the posts still in flight
        await soak.drain(10)  # the step's deliveries arrive
        await trio.sleep(REST_S)
        step_s = time.monotonic() - t0
        requests = soak.requests - before[2]
        step = Step(
            rate=soak.rate, posts=len(soak.acked) - acked_before,
            mean_ms=sum(soak.post_lat) / max(1, len(soak.post_lat)) * 1000,
            p99_ms=pct(soak.post_lat, 0.99) * 1000, cpu=cpu,
            mem=psutil.virtual_memory().percent,
            deliveries_per_s=(soak.received - before[3]) / step_s,
            missing=len(soak.acked) * soak.clients - soak.received,
            errors_5xx=soak.errors_5xx - before[0], timeouts=soak.timeouts - before[1])
        limit = 0.00025 * max(1, requests)
        step.tripped = ("5xx > 0.025 %" if step.errors_5xx > limit else
                        "timeouts > 0.025 %" if step.timeouts > limit else
                        "mean > 0.1 s" if step.mean_ms > 100 else
                        "p99 > 2 s" if step.p99_ms > 2000 else
                        "server CPU > 85 %" if step.cpu > 85 else
                        "memory > 85 %" if step.mem > 85 else
                        "missing deliveries" if step.missing else "")
        steps.append(step)
        print(f"rate {step.rate:.0f} msg/s: {step.posts} posts, mean {step.mean_ms:.0f} ms, "
              f"p99 {step.p99_ms:.0f} ms, server CPU {step.cpu:.0f} %, "
              f"{step.deliveries_per_s:,.0f} deliveries/s, missing {step.missing}, 5xx "
              f"{step.errors_5xx}, timeouts {step.timeouts}"
              + (f"  <- {step.tripped}" if step.tripped else ""), flush=True)
        if step.tripped or soak.rate >= args.max_rate:
            return steps
        soak.rate += STEP_RATE


async def main(args: argparse.Namespace) -> int:
    started_at, load0 = dt.datetime.now(dt.UTC), load_average()
    data = Path(tempfile.mkdtemp(prefix="clickclack-soak-"))
    server, url, log = await start_server(data)
    soak = Soak(url, server.pid, args.clients, float(args.rate))
    steps: list[Step] = []
    connect_s = 0.0
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30,
                                     limits=httpx.Limits(max_connections=64)) as http:
            ws_id = (await http.get("/api/workspaces")).json()["workspaces"][0]["id"]
            channels = []
            for c in range(args.channels):
                r = await http.post(f"/api/workspaces/{ws_id}/channels",
                                    json={"name": f"soak-{c}", "kind": "public"})
                channels.append(r.json()["channel"]["id"])
            tail = (await http.get("/api/realtime/events", params={
                "workspace_id": ws_id, "include_tail": "true", "limit": 1})).json()["tail_cursor"]
            host, port = url.removeprefix("http://").rsplit(":", 1)
            ws_path = f"/api/realtime/ws?workspace_id={ws_id}&after_cursor={tail}"
            csv_path = Path(args.csv) if args.csv else data / "soak.csv"
            async with trio.open_nursery() as n:
                ready = trio.Semaphore(64)
                t_conn = time.monotonic()
                for _ in range(args.clients):
                    n.start_soon(soak.client, host, int(port), ws_path, ready)
                with trio.move_on_after(max(30, args.clients / 10)):
                    await soak.all_connected.wait()
                connect_s = time.monotonic() - t_conn
                n.start_soon(soak.sampler, csv_path)
                started = time.monotonic()
                if args.ramp:
                    steps = await ramp(soak, http, channels, args)
                else:
                    await soak.poster(http, channels, args.minutes * 60, 0)
                    await soak.drain(10)  # the last deliveries arrive
                soak.stop.set()
                n.cancel_scope.cancel()  # the subscribers and the sampler
            elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        with trio.move_on_after(30):
            await server.wait()
        code = server.returncode
        log.close()  # type: ignore[attr-defined]
    return report(soak, steps, args, code, elapsed, connect_s, csv_path, started_at, load0)


def report(soak: Soak, steps: list[Step], args: argparse.Namespace, code: int | None,
           elapsed: float, connect_s: float, csv_path: Path, started_at: dt.datetime,
           load0: str) -> int:
    name = "ramp" if args.ramp else "soak"
    cmd = "./scripts/soak" + (" --ramp" if args.ramp else "") + (
        f" --minutes {args.minutes:g}" if not args.ramp and args.minutes != 10 else "") + (
        f" --clients {args.clients}" if args.clients != 1000 else "")
    warm_s = None if args.ramp else min(120.0, args.minutes * 60 / 3)
    png = Path(args.plot) if args.plot else ROOT / "docs" / f"{name}.png"
    plot(soak.samples, png, f"{cmd}: {args.clients} websocket clients, "
         f"{started_at:%Y-%m-%d %H:%M} UTC, {code_version()}", warm_s)
    expected = len(soak.acked) * args.clients
    missing = expected - soak.received
    s = soak.samples
    warm = [x for x in s if warm_s is not None and x.t >= warm_s]
    slope = 0.0
    if len(warm) >= 2:
        slope = (warm[-1].rss_mb - warm[0].rss_mb) / max(1e-9, (warm[-1].t - warm[0].t) / 60)
    cpu = sum(x.cpu for x in s) / max(1, len(s))
    lines = [
        f"- clients: {args.clients} websocket subscribers in one workspace, connected in "
        f"{connect_s:.1f} s; unexpected closes {soak.unexpected_closes}",
        f"- posts acknowledged: {len(soak.acked):,} over {elapsed:.0f} s "
        f"({len(soak.acked) / elapsed:.1f} msg/s) across {args.channels} channels; 5xx "
        f"{soak.errors_5xx}, timeouts {soak.timeouts}, other failures {soak.other_fail}",
        f"- deliveries: {soak.received:,} ({soak.received / elapsed:,.0f}/s), missing "
        f"{missing:,} of {expected:,}",
        f"- post latency p50 / p99: {pct(soak.post_lat, .5) * 1000:.1f} / "
        f"{pct(soak.post_lat, .99) * 1000:.1f} ms; delivery (receive - send) p50 / p99: "
        f"{pct(soak.deliv_lat, .5) * 1000:.1f} / {pct(soak.deliv_lat, .99) * 1000:.1f} ms",
        (f"- server RSS: {s[0].rss_mb if s else 0:.1f} MB first sample, "
         + (f"{warm[0].rss_mb:.1f} MB after warm-up, " if warm else "")
         + f"{s[-1].rss_mb if s else 0:.1f} MB last"
         + (f"; slope after warm-up {slope:+.2f} MB/min" if warm else "")),
        f"- open fds: {s[0].fds if s else 0} first, {max((x.fds for x in s), default=0)} max, "
        f"{s[-1].fds if s else 0} last; server CPU mean {cpu:.0f} % of one core",
        f"- server exit code after SIGTERM: {code}",
    ]
    ok = True
    if args.ramp:
        held = [x for x in steps if not x.tripped]
        last = steps[-1] if steps else None
        cap = held[-1] if held else None
        lines.insert(0, f"- **capacity: {cap.rate if cap else 0:.0f} msg/s x {args.clients} "
                     f"clients = {cap.deliveries_per_s if cap else 0:,.0f} deliveries/s**; the "
                     f"next step ({last.rate if last else 0:.0f} msg/s) tripped: "
                     f"{last.tripped if last and last.tripped else 'none (max rate reached)'}")
        table = ["| offered msg/s | posts | mean ms | p99 ms | server CPU % | deliveries/s "
                 "| missing | 5xx | timeouts | tripped |", "|---" * 10 + "|"]
        table += [f"| {x.rate:.0f} | {x.posts:,} | {x.mean_ms:.1f} | {x.p99_ms:.0f} | "
                  f"{x.cpu:.0f} | {x.deliveries_per_s:,.0f} | {x.missing} | {x.errors_5xx} | "
                  f"{x.timeouts} | {x.tripped or '-'} |" for x in steps]
        verdict = ""
    else:
        fds_flat = not warm or s[-1].fds <= warm[0].fds + 16
        checks = {
            "0 5xx": soak.errors_5xx == 0,
            "0 missing deliveries": missing == 0,
            "post p99 < 250 ms": pct(soak.post_lat, .99) < 0.25,
            "delivery p99 < 1 s": pct(soak.deliv_lat, .99) < 1.0,
            "RSS slope < 0.5 MB/min": len(warm) < 2 or slope < 0.5,
            "final RSS <= 1.10 x post-warm-up": len(warm) < 2 or
                                                 warm[-1].rss_mb <= 1.10 * warm[0].rss_mb,
            "open fds flat": fds_flat,
            "clean exit": code == 0,
        }
        ok = all(checks.values())
        table = []
        verdict = "; ".join(f"{k}: {'PASS' if v else 'FAIL'}" for k, v in checks.items())
    body = "\n".join([
        f"## {'Capacity ramp' if args.ramp else 'Soak'}", "",
        machine_line(started_at, elapsed, load0, cmd), "",
        *lines, *([f"- criteria: {verdict}", ""] if verdict else [""]),
        *([*table, ""] if table else []),
        f"![{name}: server RSS, open fds, CPU and p99 latencies over time]"
        f"({png.relative_to(ROOT / 'docs') if png.is_relative_to(ROOT / 'docs') else png})",
        "",
        (f"Method: offered load +{STEP_RATE} msg/s every {STEP_S} s ({REST_S} s rest), first "
         f"threshold of {THRESHOLDS}, or any missing delivery; the last step that held is the "
         "capacity." if args.ramp else
         f"Method: {args.rate:g} msg/s posted with unique nonces over {args.channels} channels "
         "by one keep-alive HTTP client pool; every subscriber must receive every message "
         "(matched by nonce); samples every 5 s (CSV columns as in the plot)."),
    ])
    print(body)
    print(f"CSV {csv_path}, plot {png}")
    if args.docs:
        write_section(DOCS, name, body)
        print(f"wrote the {name} section of {DOCS}")
    if not args.ramp:
        print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=None,
                        help="messages per second (soak: 20; ramp: the first step, 8)")
    parser.add_argument("--max-rate", type=float, default=2000, help="ramp stops here")
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--ramp", action="store_true", help="capacity ramp instead of a soak")
    parser.add_argument("--csv", default="", help="CSV path (default: in the temp directory)")
    parser.add_argument("--plot", default="", help="PNG path (default: docs/<soak|ramp>.png)")
    parser.add_argument("--docs", action="store_true",
                        help="write the soak/ramp section of docs/benchmarks.md")
    arguments = parser.parse_args()
    if arguments.rate is None:
        arguments.rate = STEP_RATE if arguments.ramp else 20
    sys.exit(trio.run(main, arguments))
