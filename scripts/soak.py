"""Soak and capacity ramp, by hand (issue 9; reliability.md §8 B1, B2): ``./scripts/soak``.

Starts ``clickclack serve`` (dev bootstrap, a fresh data directory, pinned to CPU 0 when
``taskset`` exists), opens N websocket clients in this process (pinned to CPU 1) and posts
messages at R per second spread over C channels.  Every 5 s it appends server RSS, open fds,
posts, deliveries and latencies to a CSV.  At the end it prints and checks:

* 0 5xx, 0 missing deliveries; post p99 < 250 ms, delivery p99 < 1 s;
* after the warm-up: RSS slope < 0.5 MB/min and final RSS <= 1.10 x the post-warm-up RSS.

``--ramp`` instead adds 8 msg/s every 30 s until a degradation threshold trips (5xx, post mean
> 0.1 s, post p99 > 2 s, or missing deliveries) and reports the last rate that held: the
capacity.

    ./scripts/soak                              # 10 min, 1,000 clients, 20 msg/s
    ./scripts/soak --minutes 2 --clients 200    # the CI-sized variant
    ./scripts/soak --ramp --clients 200
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import psutil
import trio
from trio_websocket import ConnectionClosed, open_websocket_url

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Soak:
    def __init__(self, url: str, pid: int, args: argparse.Namespace) -> None:
        self.url, self.pid, self.args = url, pid, args
        self.sent: dict[str, float] = {}  # nonce -> time the POST was sent (acknowledged ones)
        self.sending: dict[str, float] = {}  # nonce -> time the POST was sent
        self.post_lat: list[float] = []
        self.deliv_lat: list[float] = []
        self.window_post: list[float] = []
        self.received = 0
        self.errors_5xx = 0
        self.post_fail = 0
        self.rss: list[tuple[float, float]] = []
        self.rate = float(args.rate)
        self.stop = trio.Event()

    async def client(self, ws_url: str, ready: trio.Semaphore) -> None:
        async with ready:
            ws_cm = open_websocket_url(ws_url)
            ws = await ws_cm.__aenter__()
        try:
            while not self.stop.is_set():
                with trio.move_on_after(1):
                    message = await ws.get_message()
                    now = time.monotonic()
                    data = orjson.loads(message)
                    for e in data if isinstance(data, list) else [data]:
                        # Delivery can precede the POST's answer (the hub is fed before the
                        # caller is woken), so latency is receive - send.
                        nonce = (e.get("payload") or {}).get("nonce")
                        if nonce in self.sending:
                            self.received += 1
                            self.deliv_lat.append(now - self.sending[nonce])
        except ConnectionClosed:
            pass
        finally:
            await ws_cm.__aexit__(None, None, None)

    async def post(self, http: httpx.AsyncClient, channel: str, nonce: str) -> None:
        t0 = self.sending[nonce] = time.monotonic()
        try:
            r = await http.post(f"/api/channels/{channel}/messages",
                                json={"body": nonce, "nonce": nonce})
        except httpx.HTTPError:
            self.post_fail += 1
            return
        t1 = time.monotonic()
        if r.status_code >= 500:
            self.errors_5xx += 1
        elif r.status_code == 201:
            self.sent[nonce] = t0
            self.post_lat.append(t1 - t0)
            self.window_post.append(t1 - t0)
        else:
            self.post_fail += 1

    async def poster(self, http: httpx.AsyncClient, channels: list[str], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        i = 0
        async with trio.open_nursery() as n:
            next_at = time.monotonic()
            while time.monotonic() < deadline:
                n.start_soon(self.post, http, channels[i % len(channels)], f"soak-{i}")
                i += 1
                next_at += 1 / self.rate
                await trio.sleep(max(0.0, next_at - time.monotonic()))

    async def sampler(self, out: Path) -> None:
        proc = psutil.Process(self.pid)
        started = time.monotonic()
        with out.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["t_s", "rate", "rss_mb", "fds", "posts", "deliveries",
                        "post_p99_ms", "delivery_p99_ms", "5xx"])
            while not self.stop.is_set():
                await trio.sleep(5)
                t = time.monotonic() - started
                rss = proc.memory_info().rss / 2**20
                self.rss.append((t, rss))
                w.writerow([f"{t:.0f}", self.rate, f"{rss:.1f}", proc.num_fds(),
                            len(self.sent), self.received,
                            f"{pct(self.window_post, 0.99) * 1000:.1f}",
                            f"{pct(self.deliv_lat[-20000:], 0.99) * 1000:.1f}",
                            self.errors_5xx])
                f.flush()
                self.window_post = []


async def main(args: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="clickclack-soak-"))
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
    try:
        url = ""
        for _ in range(100):
            m = re.search(rb"serving on (http://[\d.]+:\d+)", (data / "server.log").read_bytes())
            if m:
                url = m.group(1).decode()
                break
            await trio.sleep(0.2)
        if not url:
            print((data / "server.log").read_text(), file=sys.stderr)
            return 1
        soak = Soak(url, server.pid, args)
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
            ws_url = (url.replace("http", "ws")
                      + f"/api/realtime/ws?workspace_id={ws_id}&after_cursor={tail}")
            csv_path = Path(args.csv) if args.csv else data / "soak.csv"
            async with trio.open_nursery() as n:
                ready = trio.Semaphore(64)
                for _ in range(args.clients):
                    n.start_soon(soak.client, ws_url, ready)
                await trio.sleep(max(2.0, args.clients / 200))
                n.start_soon(soak.sampler, csv_path)
                started = time.monotonic()
                capacity = None
                if args.ramp:
                    while True:
                        before_5xx = soak.errors_5xx
                        soak.post_lat = []
                        await soak.poster(http, channels, 30)
                        await trio.sleep(2)
                        missing = len(soak.sent) * args.clients - soak.received
                        mean = sum(soak.post_lat) / max(1, len(soak.post_lat))
                        tripped = ("5xx" if soak.errors_5xx > before_5xx else
                                   "post mean > 0.1 s" if mean > 0.1 else
                                   "post p99 > 2 s" if pct(soak.post_lat, 0.99) > 2 else
                                   "missing deliveries" if missing else "")
                        print(f"rate {soak.rate:.0f} msg/s: post mean {mean * 1000:.0f} ms "
                              f"p99 {pct(soak.post_lat, 0.99) * 1000:.0f} ms, "
                              f"deliveries {soak.received}, missing {missing}")
                        if tripped:
                            print(f"capacity: {capacity or 0:.0f} msg/s x {args.clients} clients "
                                  f"(next step tripped: {tripped})")
                            break
                        capacity = soak.rate
                        soak.rate += 8
                else:
                    await soak.poster(http, channels, args.minutes * 60)
                    await trio.sleep(3)  # let the last deliveries arrive
                soak.stop.set()
            elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        with trio.move_on_after(30):
            await server.wait()
        code = server.returncode
        log.close()
    expected = len(soak.sent) * args.clients
    missing = expected - soak.received
    warm = [(t, r) for t, r in soak.rss if t >= min(120, args.minutes * 60 / 3)]
    slope = 0.0
    if len(warm) >= 2:
        slope = (warm[-1][1] - warm[0][1]) / max(1e-9, (warm[-1][0] - warm[0][0]) / 60)
    print(f"soak: {elapsed:.0f} s, {args.clients} clients, {len(soak.sent)} posts "
          f"({len(soak.sent) / elapsed:.1f} msg/s), {soak.received} deliveries "
          f"({soak.received / elapsed:.0f}/s), missing {missing}, 5xx {soak.errors_5xx}, "
          f"post p50/p99 {pct(soak.post_lat, .5) * 1000:.1f}/"
          f"{pct(soak.post_lat, .99) * 1000:.1f} ms, delivery p50/p99 "
          f"{pct(soak.deliv_lat, .5) * 1000:.1f}/{pct(soak.deliv_lat, .99) * 1000:.1f} ms, RSS "
          f"{soak.rss[0][1] if soak.rss else 0:.0f}->{soak.rss[-1][1] if soak.rss else 0:.0f} MB"
          f" (slope {slope:.2f} MB/min), server exit {code}; CSV {csv_path}")
    if args.ramp:
        return 0
    ok = (soak.errors_5xx == 0 and missing == 0 and pct(soak.post_lat, .99) < 0.25
          and pct(soak.deliv_lat, .99) < 1.0 and code == 0
          and (len(warm) < 2 or (slope < 0.5 and warm[-1][1] <= 1.10 * warm[0][1])))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20, help="messages per second")
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--ramp", action="store_true", help="capacity ramp instead of a soak")
    parser.add_argument("--csv", default="", help="CSV path (default: in the temp directory)")
    sys.exit(trio.run(main, parser.parse_args()))
