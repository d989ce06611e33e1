"""Guards around hypercorn 0.18's trio worker, applied once by ``server.serve``.

1. **One connection's crash never takes the server down** (hypercorn #225, still open): an
   upgrade request with trailing bytes raises ``LocalProtocolError`` out of ``TCPServer.run``
   and, through the shared nursery, out of ``serve()``.  We catch it per connection and log it.
2. **A socket write cannot hang forever, and the common one is cheap.**  hypercorn shields
   ``stream.send_all`` under a per-connection lock, so a peer that stops reading pins the
   handler and hangs graceful shutdown (stack-notes pitfall 1).  We keep the shield (a
   half-written frame must not be interrupted by an unrelated cancel) but give it its own
   deadline; on expiry the connection is aborted.  ``TCP_USER_TIMEOUT`` on the listening socket
   is the kernel-level backstop.  A write that fits the kernel buffer skips all of that: one
   non-blocking ``send()`` under the lock taken synchronously.
3. **A silent or finished connection is closed at once.**  When ``read_timeout`` fires (or the
   peer sends EOF), hypercorn leaves the keep-alive idle task running, so the connection lingered
   for ``keep_alive_timeout`` anyway -- slowloris connections were never reaped early.
4. **A closed websocket does not linger.**  hypercorn's ping task only notices a close when its
   ``websocket_ping_interval`` sleep ends, so every closed socket kept a task alive for up to
   25 s, and graceful shutdown waited for it.  Setting ``closed`` now cancels the ping task.
5. **A refused websocket handshake is problem+json** like every other error: hypercorn answers
   an upgrade request it cannot accept (no ``Sec-WebSocket-Key``, a version other than 13, a
   body) with an empty 400 before the app sees it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import trio
from hypercorn.events import Closed, RawData
from hypercorn.protocol import ws_stream
from hypercorn.protocol.events import Body, EndBody, Response
from hypercorn.trio import tcp_server
from wsproto.events import Ping

LOGGER = logging.getLogger("clickclack.server")
_HANDSHAKE_PROBLEM = json.dumps({
    "type": "https://clickclack.chat/problems/bad_websocket_handshake",
    "title": "Bad Request", "status": 400,
    "detail": "invalid websocket handshake (RFC 6455: Upgrade: websocket, Connection: Upgrade, "
              "Sec-WebSocket-Key, Sec-WebSocket-Version: 13)",
    "code": "bad_websocket_handshake",
    "error": "invalid websocket handshake",
}).encode() + b"\n"
_applied = False
SEND_TIMEOUT_S = 10.0


def apply(send_timeout_s: float) -> None:
    global _applied, SEND_TIMEOUT_S
    SEND_TIMEOUT_S = send_timeout_s
    if _applied:
        return
    _applied = True
    original_run = tcp_server.TCPServer.run
    original_send = tcp_server.TCPServer.protocol_send

    async def guarded_run(self: Any) -> None:
        try:
            await original_run(self)
        except Exception:  # includes ExceptionGroup; trio.Cancelled is a BaseException
            LOGGER.warning("a connection crashed inside hypercorn; closed it", exc_info=True)
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(self.stream)

    async def guarded_send(self: Any, data: bytes) -> str:
        """Write under the caller's send_lock; "ok", "closed" or "timeout"."""
        try:
            with trio.CancelScope(shield=True) as scope:
                scope.relative_deadline = SEND_TIMEOUT_S
                await self.stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.BusyResourceError):
            # Busy: hypercorn's _close() is in stream.send_eof(), which checkpoints while it
            # holds trio's send-conflict detector but not this lock; the connection is closing.
            return "closed"
        return "timeout" if scope.cancelled_caught else "ok"

    async def bounded_send(self: Any, event: Any) -> None:
        if not isinstance(event, RawData):
            await original_send(self, event)
            return
        data = event.data
        sock = getattr(getattr(self.stream, "socket", None), "_sock", None)  # None under TLS
        if sock is not None and not self.send_lock.locked():
            # Fast path, the common case (a websocket frame, a response): nobody is sending and
            # the kernel buffer has room, so one non-blocking send() writes it all -- no lock
            # wait, no deadline timer, no scheduler round trips (profiled: those cost about as
            # much as the syscall per delivered event).  The lock is taken synchronously first,
            # so bytes never interleave; a partial write continues on the guarded path.
            self.send_lock.acquire_nowait()
            try:
                try:
                    sent = sock.send(data)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    sent = -1
                outcome = ("ok" if sent == len(data) else "closed" if sent < 0 else
                           await guarded_send(self, data[sent:]))
            finally:
                self.send_lock.release()
        else:
            async with self.send_lock:
                outcome = await guarded_send(self, data)
        if outcome == "timeout":
            LOGGER.info("peer stopped reading for %.0fs; aborting the connection", SEND_TIMEOUT_S)
            await trio.aclose_forcefully(self.stream)
        if outcome != "ok":
            await self.protocol.handle(Closed())

    def get_closed(self: Any) -> bool:
        return bool(self.__dict__.get("_cc_closed", False))

    def set_closed(self: Any, value: bool) -> None:
        self.__dict__["_cc_closed"] = value
        scope = self.__dict__.get("_cc_ping_scope")
        if value and scope is not None:
            scope.cancel()

    async def send_pings(self: Any) -> None:
        with trio.CancelScope() as scope:
            self.__dict__["_cc_ping_scope"] = scope
            while not self.closed:
                await self._send_wsproto_event(Ping())
                await self.context.sleep(self.config.websocket_ping_interval)

    original_error = ws_stream.WSStream._send_error_response

    async def problem_error_response(self: Any, status_code: int) -> None:
        if status_code != 400:
            await original_error(self, status_code)
            return
        body = _HANDSHAKE_PROBLEM
        await self.send(Response(
            stream_id=self.stream_id, status_code=400,
            headers=[(b"content-type", b"application/problem+json"),
                     (b"content-length", str(len(body)).encode()), (b"connection", b"close")]))
        await self.send(Body(stream_id=self.stream_id, data=body))
        await self.send(EndBody(stream_id=self.stream_id))
        await self.config.log.access(self.scope, {"status": 400, "headers": []},
                                     time.time() - self.start_time)

    ws_stream.WSStream._send_error_response = problem_error_response  # type: ignore[method-assign]
    ws_stream.WSStream.closed = property(get_closed, set_closed)  # type: ignore[assignment]
    ws_stream.WSStream._send_pings = send_pings  # type: ignore[method-assign]
    original_read = tcp_server.TCPServer._read_data

    async def read_then_stop_idle(self: Any) -> None:
        try:
            await original_read(self)
        finally:
            await self.idle_task.stop()

    tcp_server.TCPServer._read_data = read_then_stop_idle  # type: ignore[method-assign]
    tcp_server.TCPServer.run = guarded_run  # type: ignore[method-assign]
    tcp_server.TCPServer.protocol_send = bounded_send  # type: ignore[method-assign]
