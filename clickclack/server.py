"""``clickclack serve``: one process, one ``trio.run``.

Start-up: bind our own listening socket (so we can set ``TCP_USER_TIMEOUT``, ``TCP_NODELAY`` and
the backlog), open the services (writer + hub ready, migrations applied), then run hypercorn's trio
worker on the socket.

Shutdown (SIGINT/SIGTERM, or the ``stop`` event in tests), in this order:
1. the hub closes every realtime subscription with 1001, so websocket handlers return at once
   instead of holding shutdown for the whole graceful timeout (stack-notes pitfall 3);
2. hypercorn stops accepting and gives in-flight requests ``graceful_timeout_s``;
3. the writer drains its queue, checkpoints the WAL (``TRUNCATE``) and closes;
4. ``trio.run`` returns and the process exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from clickclack import _hypercorn_patches
from clickclack.app import create_app
from clickclack.config import Config
from clickclack.services import open_services

LOGGER = logging.getLogger("clickclack.server")


def listen_socket(config: Config) -> socket.socket:
    host, port = config.host_port()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        # Unacknowledged data older than this aborts the connection (covers zero-window peers);
        # inherited by accepted sockets.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT,
                        int(config.tcp_user_timeout_s * 1000))
    sock.bind((host, port))
    sock.listen(config.backlog)
    sock.setblocking(False)
    return sock


def hypercorn_config(config: Config, sock: socket.socket) -> HypercornConfig:
    h = HypercornConfig()
    # hypercorn wraps the fd in its own socket object and closes it at shutdown, so it gets a
    # duplicate; ``serve`` closes the original once hypercorn is listening.
    h.bind = [f"fd://{os.dup(sock.fileno())}"]
    h.backlog = config.backlog
    h.graceful_timeout = config.graceful_timeout_s
    h.read_timeout = config.read_timeout_s  # type: ignore[assignment]  # slowloris guard
    h.keep_alive_timeout = config.keep_alive_timeout_s
    h.websocket_ping_interval = config.ws_ping_interval_s
    h.websocket_max_message_size = config.ws_max_message_bytes
    h.h11_max_incomplete_size = 16 * 1024
    h.accesslog = None
    h.errorlog = logging.getLogger("hypercorn.error")
    return h


async def serve(
    config: Config,
    *,
    stop: trio.Event | None = None,
    handle_signals: bool = True,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set); reports the base URL once serving."""
    _hypercorn_patches.apply(config.send_timeout_s)
    stop = trio.Event() if stop is None else stop
    sock = listen_socket(config)
    try:
        async with open_services(config) as services:
            app = create_app(services)
            hcfg = hypercorn_config(config, sock)

            async def shutdown_trigger() -> None:
                await stop.wait()
                LOGGER.info("shutting down: closing realtime sockets, draining requests")
                services.hub.close_all(code=1001, reason="server shutting down")

            async def run_http(task_status: trio.TaskStatus[list[str]]) -> None:
                await hypercorn_serve(app, hcfg, shutdown_trigger=shutdown_trigger,
                                      task_status=task_status)
                nursery.cancel_scope.cancel()  # HTTP is done: stop the signal watcher too

            async with trio.open_nursery() as nursery:
                if handle_signals:
                    nursery.start_soon(_watch_signals, stop)
                host, port = sock.getsockname()[:2]
                binds = await nursery.start(run_http)
                sock.close()
                task_status.started(binds[0] if binds else f"http://{host}:{port}")
            LOGGER.info("HTTP stopped; draining the writer")
    finally:
        sock.close()
    LOGGER.info("stopped cleanly")


async def _watch_signals(stop: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            LOGGER.info("received %s", signal.Signals(signum).name)
            stop.set()
            return


def run(config: Config) -> None:
    async def main() -> None:
        async with trio.open_nursery() as nursery:
            url = await nursery.start(serve, config)
            print(f"ClickClack is serving on {url}", flush=True)
            if config.dev_bootstrap:
                print(f"Dev bootstrap is on: open {url}/ on this machine; API calls from "
                      "loopback act as Local Captain (or send X-ClickClack-User: usr_...).",
                      flush=True)
            else:
                print("Sign in with a magic link: clickclack admin magic-link create --email ...",
                      flush=True)
            print(f"API docs: {url}/api/docs   Stop: Ctrl+C or SIGTERM", flush=True)

    trio.run(main)
